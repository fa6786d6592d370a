"""The EngagementStore port. Every write is idempotent: replaying a batch changes nothing.

Likes converge to the last intent by event time (last write wins on ``at``), whatever
order or how many times the changes arrive.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from apps.core.errors import ServiceUnavailable
from apps.engagement.events import AffinitySignal, EngagementEvent, LikeChange, WatchSession


class StoreUnavailable(ServiceUnavailable):
    """The store could not be reached or timed out: retry later, the events are kept."""

    code = "engagement_store_unavailable"


class EngagementStore(Protocol):
    def ping(self) -> None: ...

    # append-only event log (by video and time bucket, counted views excepted; by user, newest
    # first) and exact counts of views and shares
    def record_events(self, events: Sequence[EngagementEvent]) -> None: ...
    def video_events(
        self, *, video_id: int, since: datetime, until: datetime, kind: str | None = None
    ) -> list[EngagementEvent]: ...
    def user_history(self, *, user_id: int, limit: int = 50) -> list[EngagementEvent]: ...
    def count_events(self, *, video_id: int, kind: str) -> int: ...  # views and shares, exact

    # like state per (user, video) and likers per video
    def apply_likes(self, changes: Sequence[LikeChange]) -> None: ...
    def is_liked(self, *, user_id: int, video_id: int) -> bool: ...
    def liked_video_ids(self, *, user_id: int, limit: int = 50) -> list[int]: ...
    def like_count(self, *, video_id: int) -> int: ...
    def recent_likers(self, *, video_id: int, limit: int = 20) -> list[int]: ...

    # watch sessions per (viewer, video), derived from their playback events deduplicated by id
    def record_watch(self, events: Sequence[EngagementEvent]) -> None: ...
    def watch_session(self, *, viewer_key: str, video_id: int) -> WatchSession | None: ...

    # affinity signals for the feeds: one value per (user, target, video, part), summed on read
    def add_affinity(self, signals: Sequence[AffinitySignal]) -> None: ...
    def affinities(self, *, user_id: int, kind: str, limit: int = 20) -> list[tuple[str, float]]: ...

    def truncate_all(self) -> None: ...  # tests only
