"""What an accepted event counts as: the view rule, the derived and capped events the store
keeps, and how long an event id stays known. Shared by both transports (the request path
decides) and the stream decoder (the workers derive the same events from the statuses)."""

import dataclasses
import uuid

from django.conf import settings

from apps.engagement.events import MAX_EVENT_AGE, EngagementEvent, Kind
from apps.engagement.protocol import EventStatus

SEEN_MARGIN_S = 60  # an event id's dedupe key outlives the last moment the event is accepted by this


def view_event_id(video_id: int, viewer_key: str, window: int) -> uuid.UUID:
    """Deterministic: however often a view is re-derived, it is one event in the store."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"reelhouse:view:{video_id}:{viewer_key}:{window}")


def qualifies_as_view(event: EngagementEvent, *, duration_ms: int) -> bool:
    """A view counts after VIEW_MIN_WATCH_MS of watching in one play, or half of a short video.
    Loops are rewatches, never views."""
    if event.kind not in (Kind.PROGRESS, Kind.COMPLETE, Kind.SKIP):
        return False
    watched = max(event.watch_ms, event.position_ms)
    duration = event.duration_ms or duration_ms
    if duration and duration < settings.VIEW_SHORT_VIDEO_MS:
        return watched >= duration * settings.VIEW_SHORT_SHARE
    return watched >= settings.VIEW_MIN_WATCH_MS


def view_event(event: EngagementEvent, window: int, *, kind: str = Kind.VIEW) -> EngagementEvent:
    """The counted view a playback event earned (or, kind CAPPED_VIEW, the one it would have
    earned had its network not been over the cap: kept, never counted)."""
    viewer = event.viewer_key if kind == Kind.VIEW else f"capped:{event.viewer_key}"
    return EngagementEvent(
        event_id=view_event_id(event.video_id, viewer, window),
        kind=kind,
        video_id=event.video_id,
        occurred_at=event.occurred_at,
        user_id=event.user_id,
        session_id=event.session_id,
        watch_ms=max(event.watch_ms, event.position_ms),
        duration_ms=event.duration_ms,
        creator_id=event.creator_id,
    )


def capped_event(event: EngagementEvent, window: int) -> EngagementEvent:
    """What the store keeps of a view or share over its network's cap."""
    if event.kind == Kind.SHARE:
        return dataclasses.replace(event, kind=Kind.CAPPED_SHARE)
    return view_event(event, window, kind=Kind.CAPPED_VIEW)


def stored_events(event: EngagementEvent, status: int, window: int) -> list[EngagementEvent]:
    """What the store keeps of an accepted event, by the status the request path gave it."""
    if status == EventStatus.CAPPED and event.kind == Kind.SHARE:
        return [capped_event(event, window)]
    if status == EventStatus.VIEW_COUNTED:
        return [event, view_event(event, window)]
    if status == EventStatus.CAPPED:
        return [event, capped_event(event, window)]
    return [event]


def seen_ttl(event: EngagementEvent, *, anonymous: bool, at: float) -> int:
    """How long an event id must stay known: until the event is too old to be accepted at all
    (7 days after it happened; ANON_EVENT_MAX_AGE_S for anonymous ones), then it is refused
    anyway. Keys of late events live only as long as they still could come back."""
    max_age = settings.ANON_EVENT_MAX_AGE_S if anonymous else MAX_EVENT_AGE.total_seconds()
    return max(SEEN_MARGIN_S, int(event.occurred_at.timestamp() + max_age - at) + SEEN_MARGIN_S)


def network_cap(bump: str) -> int:
    """Anonymous views or shares counted per client network per video per view window."""
    return settings.ANON_VIEWS_PER_NETWORK if bump == "views" else settings.ANON_SHARES_PER_NETWORK
