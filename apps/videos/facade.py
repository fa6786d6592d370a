"""What other apps may ask of videos: plain values, never models."""

from collections.abc import Sequence
from datetime import UTC

from django.db import connection
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.videos.models import Video
from apps.videos.selectors import video_can_view

_VIDEOS = connection.ops.quote_name(Video._meta.db_table)

__all__ = [
    "video_access_info",
    "video_can_view",
    "video_comment_counts_set",
    "video_comment_settings",
    "video_counters",
    "video_counters_add",
    "video_counters_set",
    "video_creator_id",
    "video_creator_ids",
    "videos_access_info",
    "videos_for_signals",
]


def video_creator_id(video_id: int) -> int | None:
    return video_creator_ids([video_id]).get(video_id)


def video_creator_ids(video_ids: Sequence[int]) -> dict[int, int]:
    """Creator of each existing video (the engagement request path: plain SQL, no ORM compile)."""
    if not video_ids:
        return {}
    marks = ", ".join(["%s"] * len(video_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, creator_id FROM {_VIDEOS} WHERE id IN ({marks})", list(video_ids))  # noqa: S608
        return dict(cursor.fetchall())


# --- for the engagement pipeline ------------------------------------------------------------


def video_access_info(video_id: int) -> dict | None:
    return videos_access_info([video_id]).get(video_id)


def videos_access_info(video_ids: Sequence[int]) -> dict[int, dict]:
    """What the engagement request path needs to decide access without more queries, and the
    stored counters (seeds for the live counters), for each existing video. Plain SQL: it
    runs on the request path whenever access facts are (re)loaded.

    The same rule as ``selectors.videos_visible_to``: ``published`` is false for a video
    scheduled later (``publish_at``, epoch seconds, says when it becomes true, so caches of
    these facts can expire then); ``show_likes`` is the creator's ``show_like_counts``. The
    creator's columns come from the relation accounts publishes (``CREATOR_FACTS_SQL``): still
    one query, and accounts alone knows its tables."""
    if not video_ids:
        return {}
    marks = ", ".join(["%s"] * len(video_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.id, v.creator_id, v.visibility, v.status, v.moderation_status, a.is_active, a.is_private,"  # noqa: S608
            " v.like_count, v.view_count, v.share_count, v.duration_ms, v.published_at, a.show_like_counts"
            f" FROM {_VIDEOS} v JOIN {accounts.CREATOR_FACTS_SQL} a ON a.user_id = v.creator_id"
            f" WHERE v.id IN ({marks})",
            list(video_ids),
        )
        rows = cursor.fetchall()
    now = timezone.now()
    found = {}
    for row in rows:
        video_id, creator_id, visibility, status, moderation, active, private, likes, views, shares = row[:10]
        duration, published_at, show_likes = row[10:]
        if published_at is not None and timezone.is_naive(published_at):  # SQLite's raw rows
            published_at = timezone.make_aware(published_at, UTC)
        scheduled = published_at is not None and published_at > now
        published = bool(
            status == Video.Status.READY and moderation in Video.VISIBLE_MODERATION and active and not scheduled
        )
        found[video_id] = {
            "creator_id": creator_id,
            "published": published,
            "open_to_all": published and visibility == Video.Visibility.PUBLIC and not private,
            # When a hidden-only-because-scheduled video becomes visible (facts must not outlive it).
            "publish_at": published_at.timestamp() if scheduled else None,
            "show_likes": show_likes is not False,  # no settings row: the default (shown)
            "counts": {"likes": likes, "views": views, "shares": shares},
            "duration_ms": duration or 0,
        }
    return found


def videos_for_signals(video_ids: list[int]) -> dict[int, dict]:
    """Creator and hashtags of existing videos, for affinity signals: one query (a row per
    video and hashtag), since the workers call it for every batch of likes."""
    found: dict[int, dict] = {}
    rows = Video.objects.filter(pk__in=video_ids).values_list("pk", "creator_id", "hashtags__name")
    for pk, creator_id, name in rows:
        video = found.setdefault(pk, {"creator_id": creator_id, "hashtags": []})
        if name is not None:
            video["hashtags"].append(name)
    return found


def video_counters_set(counts: dict[int, dict[str, int]]) -> int:
    """Write absolute engagement counters (from the live counters): each row updated at most
    once, and not when it already holds these values; one commit for the whole set (with
    durable commits, one fsync instead of one per video). Returns the number of rows changed."""
    from django.db import connection, transaction
    from django.db.models import Q

    if not counts:
        return 0
    ids = sorted(counts)  # a fixed lock order: concurrent flushes cannot deadlock
    clamped = {
        video_id: [max(counts[video_id].get(name, 0), 0) for name in ("likes", "views", "shares")] for video_id in ids
    }
    if connection.vendor != "postgresql":
        changed = 0
        with transaction.atomic():
            for video_id in ids:
                likes, views, shares = clamped[video_id]
                changed += (
                    Video.objects.filter(pk=video_id)
                    .filter(~Q(like_count=likes) | ~Q(view_count=views) | ~Q(share_count=shares))
                    .update(like_count=likes, view_count=views, share_count=shares)
                )
        return changed
    # PostgreSQL: two statements for the whole set instead of one ORM update per video.
    table = connection.ops.quote_name(Video._meta.db_table)
    values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::bigint)"] * len(ids))
    params = [value for video_id in ids for value in (video_id, *clamped[video_id])]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])  # noqa: S608
        cursor.execute(
            f"UPDATE {table} AS v SET like_count = c.likes, view_count = c.views, share_count = c.shares"  # noqa: S608
            f" FROM (VALUES {values}) AS c(id, likes, views, shares) WHERE v.id = c.id"
            " AND (v.like_count, v.view_count, v.share_count) IS DISTINCT FROM (c.likes, c.views, c.shares)",
            params,
        )
        return cursor.rowcount


def video_counters_add(video_id: int, *, likes: int = 0, views: int = 0, shares: int = 0) -> None:
    """Relative change with F() (the embedded default's inline path; not for hot production paths)."""
    from django.db.models import F

    Video.objects.filter(pk=video_id).update(
        like_count=F("like_count") + likes, view_count=F("view_count") + views, share_count=F("share_count") + shares
    )


def video_counters(video_id: int) -> dict[str, int] | None:
    row = Video.objects.filter(pk=video_id).values("like_count", "view_count", "share_count").first()
    if row is None:
        return None
    return {"likes": row["like_count"], "views": row["view_count"], "shares": row["share_count"]}


# --- for comments -----------------------------------------------------------------------------


def video_comment_settings(video_id: int) -> dict | None:
    """``{"creator_id", "allow_comments"}`` of a video, or None if it does not exist."""
    return Video.objects.filter(pk=video_id).values("creator_id", "allow_comments").first()


def video_comment_counts_set(counts: dict[int, int]) -> int:
    """Write absolute comment counts (recounted by comments' batched flush): one UPDATE per video,
    guarded so that a row already holding the value is not written. Returns the rows changed."""
    changed = 0
    for video_id, count in counts.items():
        value = max(int(count), 0)
        changed += Video.objects.filter(pk=video_id).exclude(comment_count=value).update(comment_count=value)
    return changed
