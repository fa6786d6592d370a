"""Engagement writes as the API sees them: access check, validation, then the request path."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from apps.core.errors import NotFound, ValidationFailed
from apps.engagement import access, anonymous, transport
from apps.engagement.events import PLAYBACK_KINDS, EngagementEvent, InvalidEvent, Kind, validate
from apps.engagement.protocol import EventStatus
from apps.engagement.transport import BatchResult, LikeResult, Origin


def like_set(*, user: Any, video_id: int, liked: bool) -> LikeResult:
    # With Redis the like script checks access itself (access.py) and says whether the creator
    # hides like counts from this user, in the same round trip.
    return transport.get().like_set(user=user, video_id=video_id, liked=liked)


def anonymous_session_create(*, network: str) -> dict[str, Any]:
    """A signed anonymous session for a client of ``network`` (the request limiter's
    "anonymous-session" scope caps how many one network gets)."""
    token, expires_at = anonymous.session_issue(network=network)
    return {"token": token, "expires_at": expires_at}


def _origin(*, user: Any, token: str, network: str) -> tuple[int | None, str, Origin]:
    """Who sends the events: (user id, session id, Origin). Anonymous clients need a valid
    server-issued session (AnonymousSessionError, 401, if not); its id is the only session id
    an anonymous event can carry, and its network caps are those of the request's network."""
    if user.is_authenticated:
        return user.pk, "", Origin(viewer_key=f"u:{user.pk}")
    session = anonymous.session_verify(token)
    return None, session.session_id, Origin(viewer_key=f"s:{session.session_id}", network=network)


def _check_anonymous_age(event: EngagementEvent) -> None:
    if event.user_id is None and event.occurred_at < datetime.now(UTC) - timedelta(
        seconds=settings.ANON_EVENT_MAX_AGE_S
    ):
        raise InvalidEvent("The event is too old to accept.", code="too_old")


def share_create(
    *,
    user: Any,
    video_id: int,
    target: str,
    event_id: uuid.UUID | None = None,
    session_id: str = "",
    anonymous_token: str = "",
    network: str = "",
) -> str:
    """Record a share; idempotent per client event id (a retried request is a duplicate).
    Anonymous shares need a server-issued session (``anonymous_token``); past the network's
    cap they are kept in the store but not counted (still "accepted": a client learns nothing)."""
    user_id, anonymous_id, origin = _origin(user=user, token=anonymous_token, network=network)
    info = access.check_can_engage(video_id=video_id, user=user)
    session_id = anonymous_id or session_id
    event = EngagementEvent(
        event_id=event_id or uuid.uuid4(),
        kind=Kind.SHARE,
        video_id=video_id,
        occurred_at=transport.now(),
        user_id=user_id,
        session_id=session_id,
        target=target,
        creator_id=info["creator_id"],
    )
    validate(event)
    [status] = transport.get().events_record([(event, info, "shares")], origin=origin)
    return "accepted" if status else "duplicate"


def playback_record(
    *, user: Any, events: list[dict[str, Any]], session_id: str = "", anonymous_token: str = "", network: str = ""
) -> BatchResult:
    """A player's batch of playback events: each validated on its own; the valid ones are
    recorded in one step. Late events (up to 7 days; ANON_EVENT_MAX_AGE_S for anonymous
    players) and repeats are fine. Anonymous players need a server-issued session
    (``anonymous_token``); the session id is the token's, whatever the body says."""
    if len(events) > settings.PLAYBACK_MAX_EVENTS:
        raise ValidationFailed(f"At most {settings.PLAYBACK_MAX_EVENTS} events per batch.", code="batch_too_large")
    user_id, anonymous_id, origin = _origin(user=user, token=anonymous_token, network=network)
    session_id = anonymous_id or session_id
    result = BatchResult()
    items = []
    access.prefetch(
        [body["video_id"] for body in events if isinstance(body, dict) and type(body.get("video_id")) is int],
        blocks=user_id is not None,
    )
    decided: dict[int, dict[str, Any] | NotFound] = {}  # per video, once per batch
    for index, body in enumerate(events):
        try:
            raw = parse_playback_event(body)
            info = decided.get(raw["video_id"])
            if info is None:
                try:
                    info = access.check_can_engage(video_id=raw["video_id"], user=user)
                except NotFound as refused:
                    info = refused
                decided[raw["video_id"]] = info
            if isinstance(info, NotFound):
                raise info
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
            _check_anonymous_age(event)
        except (InvalidEvent, ValidationFailed, NotFound) as exc:  # NotFound: a video the viewer may not see
            event_id = body.get("event_id", "") if isinstance(body, dict) else ""
            result.rejected.append({"index": index, "event_id": str(event_id), "code": exc.code})
            continue
        items.append((event, info, ""))
    for status in transport.get().events_record(items, origin=origin):
        # A capped view is "accepted" and not among views_counted, as a play too short to count.
        result.statuses.append("duplicate" if status == EventStatus.DUPLICATE else "accepted")
        if status == EventStatus.DUPLICATE:
            result.duplicates += 1
        else:
            result.accepted += 1
            result.views_counted += status == EventStatus.VIEW_COUNTED
    return result


_EVENT_FIELDS = {"event_id", "video_id", "kind", "occurred_at", "position_ms", "watch_ms", "duration_ms"}
_INT_FIELDS = ("position_ms", "watch_ms", "duration_ms")


def parse_playback_event(body: Any) -> dict[str, Any]:
    """Fields of one playback event, checked by hand: a batch of 100 events must stay cheap
    (docs/benchmark.md has the figures). Raises InvalidEvent with a code."""
    if not isinstance(body, dict):
        raise InvalidEvent("An event is a JSON object.", code="invalid_event")
    unknown = body.keys() - _EVENT_FIELDS
    if unknown:
        raise InvalidEvent(f"Unknown field {sorted(unknown)[0]!r}.", code="unknown_field")
    try:
        event_id = uuid.UUID(str(body["event_id"]))
    except (KeyError, ValueError):
        raise InvalidEvent("event_id must be a UUID.", code="invalid_event_id") from None
    video_id = body.get("video_id")
    if type(video_id) is not int or video_id < 1:
        raise InvalidEvent("video_id must be a positive integer.", code="invalid_video_id")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in PLAYBACK_KINDS:  # {} or [] are unhashable
        raise InvalidEvent("kind must be one of start, progress, loop, complete, skip.", code="invalid_kind")
    try:
        occurred_at = datetime.fromisoformat(str(body["occurred_at"]))
    except (KeyError, ValueError):
        raise InvalidEvent("occurred_at must be an ISO 8601 timestamp.", code="invalid_occurred_at") from None
    parsed = {"event_id": event_id, "video_id": video_id, "kind": kind, "occurred_at": occurred_at}
    for name in _INT_FIELDS:
        value = body.get(name, 0)
        if type(value) is not int:
            raise InvalidEvent(f"{name} must be an integer.", code=f"invalid_{name}")
        parsed[name] = value
    return parsed
