"""Reads of the accounts app. Every read that names a user hides blocked pairs."""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from apps.accounts.models import Block, Follow, FollowRequest, User
from apps.core.errors import NotFound, PermissionDenied


def is_blocked_between(a_id: int, b_id: int) -> bool:
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def block_partner_ids(user_id: int) -> frozenset[int]:
    """Everyone on the other side of a block with ``user_id``, either direction."""
    return block_partner_ids_many([user_id])[user_id]


def block_partner_ids_many(user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Block partners of each of ``user_ids`` (one query; plain SQL, as the engagement request
    path runs it whenever access facts are reloaded)."""
    found: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    if not found:
        return {}
    table = connection.ops.quote_name(Block._meta.db_table)
    marks = ", ".join(["%s"] * len(found))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT blocker_id, blocked_id FROM {table} WHERE blocker_id IN ({marks}) OR blocked_id IN ({marks})",  # noqa: S608
            [*found, *found],
        )
        rows = cursor.fetchall()
    for blocker, blocked in rows:
        if blocker in found:
            found[blocker].add(blocked)
        if blocked in found:
            found[blocked].add(blocker)
    return {user_id: frozenset(partners) for user_id, partners in found.items()}


def is_following(*, follower_id: int, followee_id: int) -> bool:
    return Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists()


def user_get_visible(*, username: str, viewer: Any) -> User:
    """The profile of ``username`` as ``viewer`` may see it; whoever it blocked sees 404."""
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    blocked_by_user = viewer.is_authenticated and Block.objects.filter(blocker=user, blocked_id=viewer.pk).exists()
    if user is None or blocked_by_user:
        raise NotFound("No such user.", code="user_not_found")
    return user


def user_get_by_username(*, username: str) -> User:
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user


def relationship(*, viewer: Any, target: User) -> dict[str, bool]:
    if not viewer.is_authenticated or viewer.pk == target.pk:
        return {"following": False, "followed_by": False, "requested": False, "blocking": False}
    return {
        "following": is_following(follower_id=viewer.pk, followee_id=target.pk),
        "followed_by": is_following(follower_id=target.pk, followee_id=viewer.pk),
        "requested": FollowRequest.objects.filter(requester=viewer, target=target).exists(),
        "blocking": Block.objects.filter(blocker=viewer, blocked=target).exists(),
    }


def _check_graph_visible(*, viewer: Any, target: User) -> None:
    if not target.is_private or (viewer.is_authenticated and viewer.pk == target.pk):
        return
    if viewer.is_authenticated and is_following(follower_id=viewer.pk, followee_id=target.pk):
        return
    raise PermissionDenied("This account is private.", code="private_account")


def _hide_blocked(qs: QuerySet, *, viewer: Any, field: str) -> QuerySet:
    if not viewer.is_authenticated:
        return qs
    return qs.exclude(**{f"{field}__in": block_partner_ids(viewer.pk)})


def followers_list(*, target: User, viewer: Any) -> QuerySet[Follow]:
    _check_graph_visible(viewer=viewer, target=target)
    qs = Follow.objects.filter(followee=target, follower__is_active=True).select_related("follower")
    return _hide_blocked(qs, viewer=viewer, field="follower_id")


def following_list(*, target: User, viewer: Any) -> QuerySet[Follow]:
    _check_graph_visible(viewer=viewer, target=target)
    qs = Follow.objects.filter(follower=target, followee__is_active=True).select_related("followee")
    return _hide_blocked(qs, viewer=viewer, field="followee_id")


def follow_requests_list(*, user: User) -> QuerySet[FollowRequest]:
    return FollowRequest.objects.filter(target=user).select_related("requester")


def blocks_list(*, user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked")


def followee_ids(user_id: int) -> frozenset[int]:
    """Ids of the accounts ``user_id`` follows."""
    return frozenset(Follow.objects.filter(follower_id=user_id).values_list("followee_id", flat=True))


def follower_ids_page(*, user_id: int, after_id: int, limit: int, skip: frozenset[int] = frozenset()) -> list[int]:
    """Up to ``limit`` follower ids of ``user_id`` greater than ``after_id``, ascending, none of
    ``skip`` (a fan-out's keyset page)."""
    rows = Follow.objects.filter(followee_id=user_id, follower_id__gt=after_id).exclude(follower_id__in=skip)
    return list(rows.order_by("follower_id").values_list("follower_id", flat=True)[:limit])


def viewer_graph(user_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """(followees, block partners either way) of ``user_id`` in one query: what a visibility
    rule needs of the graph (the videos list asks on every page)."""
    follows = connection.ops.quote_name(Follow._meta.db_table)
    blocks = connection.ops.quote_name(Block._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, followee_id FROM {follows} WHERE follower_id = %s"  # noqa: S608 - our table names
            f" UNION ALL SELECT 1, blocked_id FROM {blocks} WHERE blocker_id = %s"
            f" UNION ALL SELECT 1, blocker_id FROM {blocks} WHERE blocked_id = %s",
            [user_id, user_id, user_id],
        )
        rows = cursor.fetchall()
    return frozenset(uid for kind, uid in rows if kind == 0), frozenset(uid for kind, uid in rows if kind == 1)
