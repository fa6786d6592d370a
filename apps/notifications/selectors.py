"""Reads of notifications."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from apps.notifications.models import Kind, Notification

_VERBS = {
    Kind.LIKE: "liked your {thing}",
    Kind.COMMENT: "commented on your video",
    Kind.REPLY: "replied to your comment",
    Kind.MENTION: "mentioned you",
    Kind.FOLLOW: "started following you",
    Kind.FOLLOW_REQUEST: "asked to follow you",
    Kind.NEW_VIDEO: "posted a new video",
    Kind.COMMENT_PINNED: "pinned your comment",
}


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, is_read=False).count()


def actors_phrase(names: list[str], total: int) -> str:
    """'ana', 'ana and ben', 'ana, ben and 98 others' (exact: ``total`` distinct actors)."""
    if total <= 0 or not names:
        return "Someone"
    if total == 1:
        return names[0]
    if total == 2 and len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    others = total - 2 if len(names) >= 2 else total - 1
    shown = ", ".join(names[:2]) if len(names) >= 2 else names[0]
    return f"{shown} and {others} {'other' if others == 1 else 'others'}"


def _text(row: Notification, names: list[str]) -> str:
    if row.kind == Kind.PROCESSING_FINISHED:
        return (
            "Your video is ready."
            if row.data.get("status", "ready") == "ready"
            else "Your video could not be processed."
        )
    if row.kind == Kind.MODERATION:
        what = row.data.get("content", "content")
        return f"Your {what} was {row.data.get('outcome', 'reviewed')}."
    verb = _VERBS.get(row.kind, "did something").format(thing="comment" if row.comment_id else "video")
    return f"{actors_phrase(names, row.actor_count)} {verb}"


def notifications_render(rows: list[Notification]) -> list[dict[str, Any]]:
    """Plain dicts for the API, the websocket and push payloads (one user query per page)."""
    ids = {actor for row in rows for actor in row.recent_actor_ids}
    usernames = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    out = []
    for row in rows:
        names = [usernames[a] for a in row.recent_actor_ids if a in usernames]
        out.append(
            {
                "id": row.pk,
                "kind": row.kind,
                "text": _text(row, names),
                "actors": names,
                "actor_count": row.actor_count,
                "video_id": row.video_id,
                "comment_id": row.comment_id,
                "data": row.data,
                "is_read": row.is_read,
                "created_at": row.created_at.isoformat() if row.created_at else None,
                "updated_at": row.updated_at.isoformat() if row.updated_at else None,
            }
        )
    return out
