"""Engagement events: the values that flow from the API through the queue into the store.

Validation happens here, before anything reaches a store: unknown ids, timestamps from
the future (beyond clock skew) or too far in the past, negative or absurd watch times and
oversized fields are refused with a stable code.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from apps.core.errors import ValidationFailed

CLOCK_SKEW = timedelta(minutes=2)
MAX_EVENT_AGE = timedelta(days=7)
MAX_WATCH_MS = 6 * 60 * 60 * 1000  # a single report never covers more than 6 hours
MAX_TEXT = 64
COMPLETION_SHARE = 0.95  # watching this share of a video completes it


class Kind(StrEnum):
    LIKE = "like"
    UNLIKE = "unlike"
    SHARE = "share"
    VIEW = "view"  # a counted view (derived by the pipeline from playback events)
    START = "start"
    PROGRESS = "progress"
    LOOP = "loop"
    COMPLETE = "complete"
    SKIP = "skip"
    # Kept in the store, never counted: an anonymous view or share past its network's cap
    # (transport/). The log holds them; the counters and reconciliation count only VIEW/SHARE.
    CAPPED_VIEW = "capped_view"
    CAPPED_SHARE = "capped_share"


PLAYBACK_KINDS = frozenset({Kind.START, Kind.PROGRESS, Kind.LOOP, Kind.COMPLETE, Kind.SKIP})
COUNTED_KINDS = frozenset({Kind.VIEW, Kind.SHARE})  # counted per event (likes are counted per (user, video))


class InvalidEvent(ValidationFailed):
    code = "invalid_event"


@dataclass(frozen=True)
class EngagementEvent:
    event_id: uuid.UUID
    kind: str
    video_id: int
    occurred_at: datetime
    user_id: int | None = None  # None: an anonymous viewer, known by session_id
    session_id: str = ""
    watch_ms: int = 0
    position_ms: int = 0
    duration_ms: int = 0
    target: str = ""  # share target
    creator_id: int | None = None

    @property
    def viewer_key(self) -> str:
        return f"u:{self.user_id}" if self.user_id is not None else f"s:{self.session_id}"

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies and is the hottest line of a playback batch.
        return {
            "event_id": str(self.event_id),
            "kind": str(self.kind),
            "video_id": self.video_id,
            "occurred_at": self.occurred_at.isoformat(),
            "user_id": self.user_id,
            "session_id": self.session_id,
            "watch_ms": self.watch_ms,
            "position_ms": self.position_ms,
            "duration_ms": self.duration_ms,
            "target": self.target,
            "creator_id": self.creator_id,
        }

    def to_row(self) -> list[Any]:
        """The event as a compact row (a batch's stream entry holds one list of rows)."""
        return [
            str(self.event_id),
            str(self.kind),
            self.video_id,
            self.occurred_at.isoformat(),
            self.user_id,
            self.session_id,
            self.watch_ms,
            self.position_ms,
            self.duration_ms,
            self.target,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> "EngagementEvent":
        event_id, kind, video_id, occurred_at, user_id, session_id, watch_ms, position_ms, duration_ms, target = row
        if not isinstance(kind, str) or type(video_id) is not int:
            raise TypeError("kind is text and video_id an integer")
        return cls(
            uuid.UUID(event_id),
            kind,
            video_id,
            datetime.fromisoformat(occurred_at),
            user_id,
            session_id,
            watch_ms,
            position_ms,
            duration_ms,
            target,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EngagementEvent":
        values = dict(data)
        values["event_id"] = uuid.UUID(str(values["event_id"]))
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        return cls(**values)


@dataclass(frozen=True)
class LikeChange:
    user_id: int
    video_id: int
    liked: bool
    at: datetime
    event_id: uuid.UUID


@dataclass
class WatchSession:
    viewer_key: str
    video_id: int
    total_watch_ms: int = 0
    max_position_ms: int = 0
    duration_ms: int = 0
    plays: int = 0
    rewatches: int = 0
    completed: bool = False
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def completion(self) -> float:
        if not self.duration_ms:
            return 0.0
        return min(1.0, self.max_position_ms / self.duration_ms)


@dataclass(frozen=True)
class AffinitySignal:
    """One contribution of a user's engagement with a video towards a creator or a hashtag.

    ``part`` names the contribution within (user, target, video): an event's id for likes,
    shares, counted views, skips and rewatches, "completed" for finishing the video (once per
    viewer and video however often). Stores keep one value per part, so any replay, however
    its events are grouped, rewrites the same parts."""

    user_id: int
    kind: str  # "creator" or "hashtag"
    key: str
    video_id: int
    part: str
    weight: float
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def validate(
    event: EngagementEvent,
    *,
    known_video_ids: Iterable[int] | None = None,
    known_user_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> None:
    """Raise InvalidEvent (with a stable code) if ``event`` must not reach a store."""
    now = now or datetime.now(UTC)
    if event.kind not in Kind.__members__.values():
        raise InvalidEvent("Unknown event kind.", code="unknown_kind")
    if event.occurred_at.tzinfo is None:
        raise InvalidEvent("Timestamps need a time zone.", code="naive_timestamp")
    if event.occurred_at > now + CLOCK_SKEW:
        raise InvalidEvent("The event is dated in the future.", code="future_timestamp")
    if event.occurred_at < now - MAX_EVENT_AGE:
        raise InvalidEvent("The event is too old to accept.", code="too_old")
    if min(event.watch_ms, event.position_ms, event.duration_ms) < 0:
        raise InvalidEvent("Watch time and positions cannot be negative.", code="negative_watch_time")
    if max(event.watch_ms, event.position_ms, event.duration_ms) > MAX_WATCH_MS:
        raise InvalidEvent("Watch time is out of range.", code="watch_time_out_of_range")
    if len(event.session_id) > MAX_TEXT or len(event.target) > MAX_TEXT:
        raise InvalidEvent("A field is too long.", code="payload_too_large")
    if event.user_id is None and not event.session_id:
        raise InvalidEvent("Anonymous events need a session id.", code="session_required")
    if known_video_ids is not None and event.video_id not in set(known_video_ids):
        raise InvalidEvent("No such video.", code="unknown_video")
    if known_user_ids is not None and event.user_id is not None and event.user_id not in set(known_user_ids):
        raise InvalidEvent("No such user.", code="unknown_user")


# One playback event as a watch session needs it: (kind, watch_ms, position_ms, duration_ms,
# occurred_at in epoch microseconds).
Tick = tuple[str, int, int, int, int]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


def summarize_watch(*, viewer_key: str, video_id: int, events: Iterable[EngagementEvent]) -> WatchSession:
    """A watch session recomputed from all its playback events (so replays change nothing)."""
    ticks = ((str(e.kind), e.watch_ms, e.position_ms, e.duration_ms, epoch_us(e.occurred_at)) for e in events)
    return summarize_ticks(viewer_key=viewer_key, video_id=video_id, ticks=ticks)


def summarize_ticks(*, viewer_key: str, video_id: int, ticks: Iterable[Tick]) -> WatchSession:
    session = WatchSession(viewer_key=viewer_key, video_id=video_id)
    first = last = None
    for kind, watch_ms, position_ms, duration_ms, at_us in ticks:
        session.total_watch_ms += watch_ms
        session.max_position_ms = max(session.max_position_ms, position_ms)
        session.duration_ms = max(session.duration_ms, duration_ms)
        session.plays += kind == Kind.START
        session.rewatches += kind == Kind.LOOP
        session.completed = session.completed or kind == Kind.COMPLETE
        first = at_us if first is None else min(first, at_us)
        last = at_us if last is None else max(last, at_us)
    if session.duration_ms and session.max_position_ms >= COMPLETION_SHARE * session.duration_ms:
        session.completed = True
    if first is not None:
        session.first_at = _EPOCH + timedelta(microseconds=first)
        session.last_at = _EPOCH + timedelta(microseconds=last)
    return session
