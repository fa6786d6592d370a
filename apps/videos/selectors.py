"""Reads of the videos app. Every path to a video goes through ``videos_visible_to``."""

from typing import Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.core.errors import NotFound, PermissionDenied
from apps.videos.models import Hashtag, Video


def videos_visible_to(viewer: Any) -> QuerySet[Video]:
    """The videos ``viewer`` may see: own videos always; others' when ready, not removed,
    published (not scheduled later), allowed by visibility and account privacy, and with no
    block either way. Each row says whether its like count is hidden from ``viewer``
    (``like_count_hidden``: the creator turned ``show_like_counts`` off; never from the creator).
    The engagement paths apply the same rule from apps.videos.facade.videos_access_info."""
    authenticated = getattr(viewer, "is_authenticated", False)
    hide_likes = Q(creator__creator_settings__show_like_counts=False)
    if authenticated:
        hide_likes &= ~Q(creator_id=viewer.pk)
    qs = (
        Video.objects.select_related("creator")
        .prefetch_related("hashtags", "mentions")
        .annotate(
            like_count_hidden=Case(
                When(hide_likes, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
    )
    published = Q(status=Video.Status.READY, moderation_status__in=Video.VISIBLE_MODERATION, creator__is_active=True)
    # A scheduled video stays hidden from others until its publication time.
    published &= Q(published_at__isnull=True) | Q(published_at__lte=timezone.now())
    open_to_all = Q(visibility=Video.Visibility.PUBLIC, creator__is_private=False)
    if not authenticated:
        return qs.filter(published & open_to_all)
    graph = accounts.viewer_graph(viewer.pk)  # one query for both
    followed = Q(creator_id__in=graph.followee_ids)
    audience = open_to_all | (Q(visibility__in=[Video.Visibility.PUBLIC, Video.Visibility.FOLLOWERS]) & followed)
    not_blocked = ~Q(creator_id__in=graph.block_partner_ids)
    return qs.filter((published & audience & not_blocked) | Q(creator_id=viewer.pk))


def video_get_visible(*, video_id: int, viewer: Any) -> Video:
    video = videos_visible_to(viewer).filter(pk=video_id).first()
    if video is None:
        raise NotFound("No such video.", code="video_not_found")
    return video


def video_get_for_owner(*, video_id: int, user: Any) -> Video:
    """A video its owner may change; others get 404 if they cannot see it, else 403."""
    video = video_get_visible(video_id=video_id, viewer=user)
    if video.creator_id != user.pk:
        raise PermissionDenied("Only the creator may change this video.", code="not_video_owner")
    return video


def videos_by_creator(*, creator_id: int, viewer: Any) -> QuerySet[Video]:
    return videos_visible_to(viewer).filter(creator_id=creator_id)


def hashtag_get(*, name: str, viewer: Any) -> Hashtag:
    """A hashtag page exists for ``viewer`` only if some video they may see uses it: a tag used
    only on private, draft or scheduled videos answers as a missing one (it would leak them)."""
    hashtag = Hashtag.objects.filter(name=name.lstrip("#").lower()).first()
    if hashtag is None or not videos_by_hashtag(hashtag=hashtag, viewer=viewer).exists():
        raise NotFound("No such hashtag.", code="hashtag_not_found")
    return hashtag


def videos_by_hashtag(*, hashtag: Hashtag, viewer: Any) -> QuerySet[Video]:
    return videos_visible_to(viewer).filter(hashtags=hashtag)


def video_can_view(*, video_id: int, viewer: Any) -> bool:
    return videos_visible_to(viewer).filter(pk=video_id).exists()
