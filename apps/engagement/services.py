"""Engagement writes as the API sees them: access check, validation, then the request path."""

import uuid
from typing import Any

from django.conf import settings

from apps.core.errors import NotFound, ValidationFailed
from apps.engagement import access, ingest
from apps.engagement.api.serializers import PlaybackEventInput
from apps.engagement.events import PLAYBACK_KINDS, EngagementEvent, InvalidEvent, Kind, validate
from apps.engagement.ingest import BatchResult, LikeResult


def like_set(*, user: Any, video_id: int, liked: bool) -> LikeResult:
    info = access.check_can_engage(video_id=video_id, user=user)
    return ingest.like_set(user_id=user.pk, video_id=video_id, liked=liked, info=info)


def share_create(
    *, user: Any, video_id: int, target: str, event_id: uuid.UUID | None = None, session_id: str = ""
) -> str:
    """Record a share; idempotent per client event id (a retried request is a duplicate)."""
    info = access.check_can_engage(video_id=video_id, user=user)
    user_id = user.pk if user.is_authenticated else None
    event = EngagementEvent(
        event_id=event_id or uuid.uuid4(),
        kind=Kind.SHARE,
        video_id=video_id,
        occurred_at=ingest.now(),
        user_id=user_id,
        session_id=session_id,
        target=target,
        creator_id=info["creator_id"],
    )
    validate(event)
    [status] = ingest.events_record([(event, info, "shares")])
    return "accepted" if status else "duplicate"


def playback_record(*, user: Any, session_id: str, events: list[dict[str, Any]]) -> BatchResult:
    """A player's batch of playback events: each validated on its own; the valid ones are
    recorded in one step. Late events (up to 7 days) and repeats are fine."""
    if len(events) > settings.PLAYBACK_MAX_EVENTS:
        raise ValidationFailed(f"At most {settings.PLAYBACK_MAX_EVENTS} events per batch.", code="batch_too_large")
    user_id = user.pk if user.is_authenticated else None
    if user_id is None and not session_id:
        raise ValidationFailed("Anonymous players must send a session_id.", code="session_required")
    result = BatchResult()
    items = []
    for index, body in enumerate(events):
        fields = PlaybackEventInput(data=body)
        if not fields.is_valid():
            result.rejected.append(
                {"index": index, "event_id": str(body.get("event_id", "")), "code": _field_code(fields.errors)}
            )
            continue
        raw = fields.validated_data
        try:
            info = access.check_can_engage(video_id=raw["video_id"], user=user)
            event = EngagementEvent(
                event_id=raw["event_id"],
                kind=raw["kind"],
                video_id=raw["video_id"],
                occurred_at=raw["occurred_at"],
                user_id=user_id,
                session_id=session_id,
                watch_ms=raw.get("watch_ms", 0),
                position_ms=raw.get("position_ms", 0),
                duration_ms=raw.get("duration_ms", 0),
                creator_id=info["creator_id"],
            )
            if event.kind not in PLAYBACK_KINDS:
                raise InvalidEvent("Only playback events belong in this batch.", code="unknown_kind")
            validate(event)
        except (InvalidEvent, ValidationFailed, NotFound) as exc:  # NotFound: a video the viewer may not see
            result.rejected.append({"index": index, "event_id": str(raw.get("event_id", "")), "code": exc.code})
            continue
        items.append((event, info, ""))
    for status in ingest.events_record(items):
        result.statuses.append(("duplicate", "accepted", "accepted")[status])
        if status == 0:
            result.duplicates += 1
        else:
            result.accepted += 1
            result.views_counted += status == 2
    return result


def _field_code(errors: dict[str, Any]) -> str:
    """The first field problem as a stable code, e.g. ``invalid_occurred_at``."""
    if "non_field_errors" in errors:
        return getattr(errors["non_field_errors"][0], "code", "invalid")
    field = next(iter(errors))
    problem = errors[field]
    code = getattr(problem[0] if isinstance(problem, list) else problem, "code", "invalid")
    return "unknown_field" if code == "unknown_field" else f"invalid_{field}"
