"""Reads of comments. Every path goes through ``comments_visible_to``."""

import base64
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Log

from apps.accounts import facade as accounts
from apps.comments.models import Comment, CommentEdit, CommentLike
from apps.core.errors import NotFound
from apps.videos import facade as videos

S = Comment.Status
PIN_BOOST = 1e9
CREATOR_LIKE_BOOST = 1e8


# --- query expressions (the services' recounts and the reads share them) -----------------------


def counted_comments() -> Q:
    """What ``Video.comment_count`` counts: the comments any other viewer can see on the video.
    Published, not shadow-hidden, by an active author, top-level or a reply whose root is itself
    visible (replies are only reachable through their root). Blocks are per viewer and ignored."""
    visible = Q(status=S.PUBLISHED, shadow_hidden=False, author__is_active=True)
    root_visible = Q(parent__status=S.PUBLISHED, parent__shadow_hidden=False, parent__author__is_active=True)
    return visible & (Q(parent__isnull=True) | root_visible)


def visible_comment_counts(video_ids: list[int]) -> dict[int, int]:
    """``Video.comment_count`` of each of ``video_ids`` as the rows say (one GROUP BY; 0 for none)."""
    rows = (
        Comment.objects.filter(video_id__in=video_ids)
        .filter(counted_comments())
        .order_by()
        .values_list("video_id")
        .annotate(n=Count("pk"))
    )
    return dict.fromkeys(video_ids, 0) | dict(rows)


def like_count_expression() -> Any:
    """A comment's likes, counted from its rows (for ``update(like_count=...)``)."""
    likes = CommentLike.objects.filter(comment_id=OuterRef("pk")).order_by().values("comment_id")
    return Coalesce(Subquery(likes.annotate(n=Count("pk")).values("n")), 0)


def reply_count_expression() -> Any:
    """A comment's visible replies (published, not shadow-hidden), counted from its rows."""
    replies = (
        Comment.objects.filter(parent_id=OuterRef("pk"), status=S.PUBLISHED, shadow_hidden=False)
        .order_by()
        .values("parent_id")
    )
    return Coalesce(Subquery(replies.annotate(n=Count("pk")).values("n")), 0)


class Epoch(Func):
    """Seconds since 1970 of a datetime column, on PostgreSQL and on SQLite (the embedded
    default), where Django's ``Extract(..., "epoch")`` does not exist."""

    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)", **extra
        )


def rank_expression() -> Any:
    """pinned > creator-liked > log10(1 + likes + 2 * replies) + created / decay (Reddit-style hot:
    older comments need ten times the engagement per decay period to stay level)."""
    engagement = Log(Value(10.0), Value(1.0) + F("like_count") + 2 * F("reply_count"))
    age = Epoch("created_at") / Value(float(settings.COMMENTS_RANK_DECAY_S))
    boosts = Case(When(is_pinned=True, then=Value(PIN_BOOST)), default=Value(0.0), output_field=FloatField()) + Case(
        When(creator_liked=True, then=Value(CREATOR_LIKE_BOOST)), default=Value(0.0), output_field=FloatField()
    )
    return boosts + engagement + age


def liked_by(user: Any) -> Any:
    return Exists(CommentLike.objects.filter(comment_id=OuterRef("pk"), user_id=getattr(user, "pk", None)))


# --- reads ---------------------------------------------------------------------------------


def comments_visible_to(viewer: Any) -> QuerySet[Comment]:
    """Published, not shadow-hidden comments by people without a block with the viewer; plus the
    viewer's own comments in any state but deleted (pending, held, shadow-hidden look normal)."""
    qs = Comment.objects.select_related("author", "reply_to_user").annotate(liked_by_me=liked_by(viewer))
    public = Q(status=S.PUBLISHED, shadow_hidden=False, author__is_active=True)
    if not getattr(viewer, "is_authenticated", False):
        return qs.filter(public)
    own = Q(author_id=viewer.pk) & ~Q(status=S.DELETED)
    return qs.filter((public & ~Q(author_id__in=accounts.block_partner_ids(viewer.pk))) | own)


def _check_video(*, video_id: int, viewer: Any) -> None:
    if not videos.video_can_view(video_id=video_id, viewer=viewer):
        raise NotFound("No such video.", code="video_not_found")


def comment_get_visible(*, comment_id: int, viewer: Any) -> Comment:
    comment = comments_visible_to(viewer).filter(pk=comment_id).first()
    if comment is None or not videos.video_can_view(video_id=comment.video_id, viewer=viewer):
        raise NotFound("No such comment.", code="comment_not_found")
    return comment


def comment_get_any(*, comment_id: int, viewer: Any) -> Comment:
    """For the video's creator and moderators: any non-deleted comment on a video they can see.
    Anyone else gets only what they may read (comment_get_visible): a held or hidden comment
    answers them 404 like a missing one, never a 403 that confirms it exists."""
    comment = Comment.objects.select_related("author").filter(pk=comment_id).exclude(status=S.DELETED).first()
    if comment is None or not videos.video_can_view(video_id=comment.video_id, viewer=viewer):
        raise NotFound("No such comment.", code="comment_not_found")
    if not _may_see_every_comment(video_id=comment.video_id, viewer=viewer):
        return comment_get_visible(comment_id=comment_id, viewer=viewer)
    return comment


def _may_see_every_comment(*, video_id: int, viewer: Any) -> bool:
    if not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.is_superuser or videos.video_creator_id(video_id) == viewer.pk:
        return True
    return viewer.groups.filter(name="moderator").exists()


def top_level_comments(*, video_id: int, viewer: Any) -> QuerySet[Comment]:
    _check_video(video_id=video_id, viewer=viewer)
    return comments_visible_to(viewer).filter(video_id=video_id, parent__isnull=True)


def replies_of(*, comment: Comment, viewer: Any) -> QuerySet[Comment]:
    return comments_visible_to(viewer).filter(parent_id=comment.pk)


def comment_history(*, comment: Comment) -> QuerySet[CommentEdit]:
    return CommentEdit.objects.filter(comment=comment).order_by("-id")


# --- keyset cursor over the stored rank (stable: values live in the rows, not in "now") ---


def encode_rank_cursor(rank: float, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{rank!r}|{pk}".encode()).decode()


def decode_rank_cursor(cursor: str) -> tuple[float, int]:
    try:
        rank, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return float(rank), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotFound("Invalid cursor.", code="invalid_cursor") from exc


def top_page(qs: QuerySet[Comment], *, cursor: str | None, limit: int) -> tuple[list[Comment], str | None]:
    qs = qs.order_by("-rank", "-id")
    if cursor:
        rank, pk = decode_rank_cursor(cursor)
        qs = qs.filter(Q(rank__lt=rank) | Q(rank=rank, id__lt=pk))
    rows = list(qs[: limit + 1])
    nxt = encode_rank_cursor(rows[limit - 1].rank, rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], nxt
