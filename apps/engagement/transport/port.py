"""The request path's port: how an accepted event is recorded and counted.

Two adapters: ``RedisTransport`` (one Lua script per request; the workers drain the stream)
and ``InlineTransport`` (the embedded default: no Redis, the worker step runs in the request).
``tests/engagement/test_transport_contract.py`` runs one contract against both.

Known differences, kept on purpose (the embedded default serves one machine): the inline like
has no per-user rate limit and no backlog check (there is no stream), and its budgets are not
atomic between check and add.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings

from apps.core.errors import RateLimited
from apps.engagement import redis_keys as keys
from apps.engagement.events import EngagementEvent, Kind
from apps.engagement.protocol import EventStatus

BUDGET_WINDOW_S = 3600  # the window of the per-viewer and per-network event budgets

# An event to record: the event, its video's access facts (access.py), the counter it bumps
# ("shares", or "" for playback, which may count a view).
Item = tuple[EngagementEvent, dict[str, Any], str]


@dataclass
class LikeResult:
    status: str  # "accepted" | "duplicate"
    liked: bool
    like_count: int | None  # None: the creator hides like counts from this user


@dataclass(frozen=True)
class Origin:
    """Who sends playback or a share, for the budgets and caps of the request path.

    ``network`` is set for anonymous clients only: their views and shares are capped per
    network per video, and all their events share the network's budget."""

    viewer_key: str  # "u:<account id>" or "s:<server-issued anonymous session id>"
    network: str = ""

    @property
    def anonymous(self) -> bool:
        return bool(self.network)


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    views_counted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


class Transport(Protocol):
    name: str

    def like_set(self, *, user: Any, video_id: int, liked: bool) -> LikeResult:
        """Like or unlike a video the user may see (NotFound if not); idempotent per (user,
        video): repeating an intent is a duplicate."""
        ...

    def events_record(self, items: list[Item], *, origin: Origin) -> list[EventStatus]:
        """Record validated events from ``origin``: per event DUPLICATE, ACCEPTED, VIEW_COUNTED
        or CAPPED (an anonymous network over its cap: kept in the store, not counted).
        RateLimited past the viewer's or the network's event budget (nothing is recorded)."""
        ...

    def like_state(self, *, user_id: int, video_id: int) -> bool | None:
        """The request path's own like state, when it keeps one (None: ask the store)."""
        ...


def now() -> datetime:
    return datetime.now(UTC)


def like_event(*, user_id: int, video_id: int, liked: bool, creator_id: int | None = None) -> EngagementEvent:
    """A new like or unlike intent (a fresh event id: the (user, video) state dedupes intents)."""
    return EngagementEvent(
        event_id=uuid.uuid4(),
        kind=Kind.LIKE if liked else Kind.UNLIKE,
        video_id=video_id,
        occurred_at=now(),
        user_id=user_id,
        creator_id=creator_id,
    )


def budgets(origin: Origin, hour: int) -> list[tuple[str, int]]:
    """The budgets a request draws on: its viewer's, and an anonymous client's network's."""
    found = [(keys.viewer_budget(origin.viewer_key, hour), settings.VIEWER_EVENTS_PER_HOUR)]
    if origin.anonymous:
        found.append((keys.network_budget(origin.network, hour), settings.ANON_EVENTS_PER_NETWORK))
    return found


def over_budget(retry_after: int) -> RateLimited:
    return RateLimited("Too many playback events or shares; slow down.", retry_after=max(1, retry_after))
