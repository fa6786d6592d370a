"""Cassandra adapter of the EngagementStore: prepared statements, concurrent execution.

Idempotency: every row is keyed by an event id or a natural key, so a replayed batch
rewrites the same cells. Likes are written USING TIMESTAMP = the event time in
microseconds, so the latest intent wins in any arrival order, including for deletes.
"""

import heapq
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from types import SimpleNamespace
from typing import Any, TypeVar

from cassandra import DriverException, RequestExecutionException, RequestValidationException
from cassandra.cluster import NoHostAvailable, Session
from cassandra.concurrent import execute_concurrent, execute_concurrent_with_args
from cassandra.query import BatchStatement, BatchType, PreparedStatement
from django.db import connections

from apps.engagement.events import (
    COUNTED_KINDS,
    PLAYBACK_KINDS,
    AffinitySignal,
    EngagementEvent,
    LikeChange,
    Tick,
    WatchSession,
    epoch_us,
    summarize_ticks,
)
from apps.engagement.store.port import StoreUnavailable

EVENT_BUCKET_S = 600  # 10-minute buckets ...
EVENT_SHARDS = 16  # ... x 16 shards keep a viral video's partitions near 10 MB
LIKER_SHARDS = 64
CONCURRENCY = 64
BATCH_ROWS = 50  # rows per single-partition batch (stays under Cassandra's batch size limits)
BATCH_PARTITIONS = 10  # single-row partitions per batch (unlogged_batch_across_partitions_warn_threshold)
DAY_S = 86400
SESSIONS_PER_READ = 50  # partitions per IN read of watch events
_GROUP_NS = uuid.UUID("6f1c2a52-3d0e-4c8e-9b7a-0d2f5e8c4a11")  # watch event group ids
T = TypeVar("T")


_us = epoch_us


def _shard(value: Any, shards: int) -> int:
    return zlib.crc32(str(value).encode()) % shards


def _bucket(at: datetime) -> int:
    return int(at.timestamp()) // EVENT_BUCKET_S


def _month(at: datetime) -> int:
    return at.year * 100 + at.month


def _pack(group: Sequence[EngagementEvent]) -> tuple[uuid.UUID, str, dict[str, Tick]]:
    """A group of playback events as one cell ("id,kind,watch,position,duration,µs;..."), an id
    derived from its events, and the events as ticks by id."""
    ticks = {
        e.event_id.hex: (str(e.kind), e.watch_ms, e.position_ms, e.duration_ms, _us(e.occurred_at)) for e in group
    }
    ordered = sorted(ticks)
    group_id = uuid.uuid5(_GROUP_NS, ",".join(ordered))
    cell = ";".join(f"{event_hex},{','.join(map(str, ticks[event_hex]))}" for event_hex in ordered)
    return group_id, cell, ticks


def _unpack(cell: str | None) -> Iterator[tuple[str, Tick]]:
    for item in cell.split(";") if cell else ():
        event_hex, kind, watch_ms, position_ms, duration_ms, at_us = item.split(",")
        yield event_hex, (kind, int(watch_ms), int(position_ms), int(duration_ms), int(at_us))


def _rows(result: Any) -> list[SimpleNamespace]:
    """cqlengine sets a dict row factory on the shared session; give rows attribute access."""
    return [SimpleNamespace(**row) if isinstance(row, dict) else row for row in result]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@contextmanager
def _translate_errors() -> Iterator[None]:
    try:
        yield
    except RequestValidationException:
        raise  # a bad query or schema (InvalidRequest, Unauthorized…): a bug, not an outage
    except (NoHostAvailable, RequestExecutionException, DriverException, OSError) as exc:
        raise StoreUnavailable(f"Cassandra is unavailable: {type(exc).__name__}") from exc


class CassandraStore:
    alias = "cassandra"

    def __init__(self, *, session_factory: Callable[[], Session] | None = None, keyspace: str | None = None) -> None:
        # By default the session of django-cassandra-engine's connection; tests may inject another.
        self._session_factory = session_factory
        self._keyspace = keyspace

    # --- plumbing -------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        with _translate_errors():
            if self._session_factory is not None:
                return self._session_factory()
            wrapper = connections[self.alias]
            wrapper.connect()
            return wrapper.connection.session

    @property
    def keyspace(self) -> str:
        return self._keyspace or connections[self.alias].settings_dict["NAME"]

    @cached_property
    def _prepared(self) -> dict[tuple[str, str], PreparedStatement]:
        return {}

    def _stmt(self, cql: str) -> PreparedStatement:
        key = (self.keyspace, cql)
        if key not in self._prepared:
            with _translate_errors():
                self._prepared[key] = self.session.prepare(cql.replace("{ks}", self.keyspace))
        return self._prepared[key]

    def _run_many(self, cql: str, rows: Sequence[tuple]) -> None:
        if not rows:
            return
        with _translate_errors():
            results = execute_concurrent_with_args(self.session, self._stmt(cql), rows, concurrency=CONCURRENCY)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise StoreUnavailable(f"Cassandra rejected {len(failures)} writes: {type(failures[0]).__name__}")

    def _run_by_partition(self, cql: str, rows: Sequence[tuple], key: Callable[[tuple], Any]) -> None:
        """Write rows as UNLOGGED batches: a partition's rows together (one mutation per
        partition: a player's 100 events become a handful of writes), and partitions with a
        single row packed ten to a batch (Cassandra's warning threshold), so 500 likes by 500
        users cost about 50 requests instead of 500."""
        if not rows:
            return
        statement = self._stmt(cql)
        groups: dict[Any, list[tuple]] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row)
        chunks: list[list[tuple]] = []
        singles: list[tuple] = []
        for group in groups.values():
            if len(group) == 1:
                singles.append(group[0])
                continue
            chunks += [group[start : start + BATCH_ROWS] for start in range(0, len(group), BATCH_ROWS)]
        chunks += [singles[start : start + BATCH_PARTITIONS] for start in range(0, len(singles), BATCH_PARTITIONS)]
        batches = []
        for chunk in chunks:
            batch = BatchStatement(batch_type=BatchType.UNLOGGED)
            for row in chunk:
                batch.add(statement, row)
            batches.append((batch, ()))
        with _translate_errors():
            results = execute_concurrent(self.session, batches, concurrency=CONCURRENCY)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise StoreUnavailable(f"Cassandra rejected {len(failures)} writes: {type(failures[0]).__name__}")

    def _query(self, cql: str, params: tuple, convert: Callable[[Any], T] = lambda row: row) -> list[T]:
        with _translate_errors():
            return [convert(row) for row in _rows(self.session.execute(self._stmt(cql), params))]

    def ping(self) -> None:
        with _translate_errors():
            self.session.execute("SELECT release_version FROM system.local", timeout=2)

    def truncate_all(self) -> None:
        from apps.engagement.models import CASSANDRA_TABLES

        with _translate_errors():
            for model in CASSANDRA_TABLES:
                self.session.execute(f"TRUNCATE {self.keyspace}.{model.__table_name__}", timeout=30)

    # --- event log ----------------------------------------------------------------------------

    def record_events(self, events: Sequence[EngagementEvent]) -> None:
        # Shard by viewer: one player's batch lands in one partition; a viral video's viewers
        # still spread over all 16 shards.
        self._run_by_partition(
            "INSERT INTO {ks}.video_events_by_bucket (video_id, bucket, shard, occurred_at, event_id, kind, user_id,"
            " session_id, watch_ms, position_ms, duration_ms, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.video_id,
                    _bucket(e.occurred_at),
                    _shard(e.viewer_key, EVENT_SHARDS),
                    e.occurred_at,
                    e.event_id,
                    e.kind,
                    e.user_id,
                    e.session_id,
                    e.watch_ms,
                    e.position_ms,
                    e.duration_ms,
                    e.target,
                )
                for e in events
            ],
            key=lambda row: row[:3],
        )
        self._run_by_partition(
            "INSERT INTO {ks}.video_counted_events (video_id, kind, shard, event_id) VALUES (?, ?, ?, ?)",
            [
                (e.video_id, e.kind, _shard(e.event_id, EVENT_SHARDS), e.event_id)
                for e in events
                if e.kind in COUNTED_KINDS
            ],
            key=lambda row: row[:3],
        )
        self._run_by_partition(
            "INSERT INTO {ks}.user_history_by_month (user_id, month, occurred_at, event_id, kind, video_id, watch_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (e.user_id, _month(e.occurred_at), e.occurred_at, e.event_id, e.kind, e.video_id, e.watch_ms)
                for e in events
                if e.user_id is not None
            ],
            key=lambda row: row[:2],
        )

    def count_events(self, *, video_id: int, kind: str) -> int:
        cql = "SELECT COUNT(*) FROM {ks}.video_counted_events WHERE video_id = ? AND kind = ? AND shard = ?"
        with _translate_errors():
            results = execute_concurrent_with_args(
                self.session,
                self._stmt(cql),
                [(video_id, kind, s) for s in range(EVENT_SHARDS)],
                concurrency=CONCURRENCY,
                results_generator=False,
                raise_on_first_error=True,
            )
        return sum(_rows(rows)[0].count for _, rows in results)

    def video_events(
        self, *, video_id: int, since: datetime, until: datetime, kind: str | None = None
    ) -> list[EngagementEvent]:
        cql = (
            "SELECT occurred_at, event_id, kind, user_id, session_id, watch_ms, position_ms, duration_ms, target"
            " FROM {ks}.video_events_by_bucket WHERE video_id = ? AND bucket = ? AND shard = ?"
            " AND occurred_at >= ? AND occurred_at < ?"
        )
        params = [
            (video_id, bucket, shard, since, until)
            for bucket in range(_bucket(since), _bucket(until) + 1)
            for shard in range(EVENT_SHARDS)
        ]
        with _translate_errors():
            results = execute_concurrent_with_args(
                self.session,
                self._stmt(cql),
                params,
                concurrency=CONCURRENCY,
                results_generator=False,
                raise_on_first_error=True,
            )
        found = [
            EngagementEvent(
                event_id=row.event_id,
                kind=row.kind,
                video_id=video_id,
                occurred_at=_aware(row.occurred_at),
                user_id=row.user_id,
                session_id=row.session_id or "",
                watch_ms=row.watch_ms or 0,
                position_ms=row.position_ms or 0,
                duration_ms=row.duration_ms or 0,
                target=row.target or "",
            )
            for _, rows in results
            for row in _rows(rows)
            if kind is None or row.kind == kind
        ]
        return sorted(found, key=lambda e: e.occurred_at, reverse=True)

    def user_history(self, *, user_id: int, limit: int = 50) -> list[EngagementEvent]:
        now = datetime.now(UTC)
        found: list[EngagementEvent] = []
        year, month = now.year, now.month
        for _ in range(6):  # history lives 180 days
            rows = self._query(
                "SELECT occurred_at, event_id, kind, video_id, watch_ms FROM {ks}.user_history_by_month"
                " WHERE user_id = ? AND month = ? LIMIT ?",
                (user_id, year * 100 + month, limit - len(found)),
            )
            found += [
                EngagementEvent(
                    event_id=r.event_id,
                    kind=r.kind,
                    video_id=r.video_id,
                    user_id=user_id,
                    occurred_at=_aware(r.occurred_at),
                    watch_ms=r.watch_ms or 0,
                )
                for r in rows
            ]
            if len(found) >= limit:
                break
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return found

    # --- likes ---------------------------------------------------------------------------------

    def apply_likes(self, changes: Sequence[LikeChange]) -> None:
        self._run_by_partition(
            "INSERT INTO {ks}.like_state (user_id, video_id, liked, changed_at, event_id) VALUES (?, ?, ?, ?, ?)"
            " USING TIMESTAMP ?",
            [(c.user_id, c.video_id, c.liked, c.at, c.event_id, _us(c.at)) for c in changes],
            key=lambda row: row[0],
        )
        likes = [c for c in changes if c.liked]
        unlikes = [c for c in changes if not c.liked]
        self._run_by_partition(
            "INSERT INTO {ks}.video_likers (video_id, shard, user_id, liked_at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?",
            [(c.video_id, _shard(c.user_id, LIKER_SHARDS), c.user_id, c.at, _us(c.at)) for c in likes],
            key=lambda row: row[:2],
        )
        self._run_many(
            "DELETE FROM {ks}.video_likers USING TIMESTAMP ? WHERE video_id = ? AND shard = ? AND user_id = ?",
            [(_us(c.at), c.video_id, _shard(c.user_id, LIKER_SHARDS), c.user_id) for c in unlikes],
        )
        self._run_by_partition(
            "INSERT INTO {ks}.video_likes_recent (video_id, day, shard, liked_at, user_id) VALUES (?, ?, ?, ?, ?)",
            [
                (c.video_id, int(c.at.timestamp()) // DAY_S, _shard(c.user_id, EVENT_SHARDS), c.at, c.user_id)
                for c in likes
            ],
            key=lambda row: row[:3],
        )

    def is_liked(self, *, user_id: int, video_id: int) -> bool:
        rows = self._query(
            "SELECT liked FROM {ks}.like_state WHERE user_id = ? AND video_id = ?",
            (user_id, video_id),
            lambda r: r.liked,
        )
        return bool(rows and rows[0])

    def liked_video_ids(self, *, user_id: int, limit: int = 50) -> list[int]:
        rows = self._query(
            "SELECT video_id, liked, changed_at FROM {ks}.like_state WHERE user_id = ?", (user_id,), lambda r: r
        )
        liked = [r for r in rows if r.liked]
        return [r.video_id for r in sorted(liked, key=lambda r: r.changed_at, reverse=True)[:limit]]

    def like_count(self, *, video_id: int) -> int:
        cql = "SELECT COUNT(*) FROM {ks}.video_likers WHERE video_id = ? AND shard = ?"
        with _translate_errors():
            results = execute_concurrent_with_args(
                self.session,
                self._stmt(cql),
                [(video_id, s) for s in range(LIKER_SHARDS)],
                concurrency=CONCURRENCY,
                results_generator=False,
                raise_on_first_error=True,
            )
        return sum(_rows(rows)[0].count for _, rows in results)

    def recent_likers(self, *, video_id: int, limit: int = 20) -> list[int]:
        today = int(datetime.now(UTC).timestamp()) // DAY_S
        cql = (
            "SELECT liked_at, user_id FROM {ks}.video_likes_recent WHERE video_id = ? AND day = ? AND shard = ? LIMIT ?"
        )
        picked: list[int] = []
        for day in range(today, today - 30, -1):
            with _translate_errors():
                results = execute_concurrent_with_args(
                    self.session,
                    self._stmt(cql),
                    [(video_id, day, s, limit * 2) for s in range(EVENT_SHARDS)],
                    concurrency=CONCURRENCY,
                    results_generator=False,
                    raise_on_first_error=True,
                )
            newest = heapq.merge(*[_rows(rows) for _, rows in results], key=lambda r: r.liked_at, reverse=True)
            for row in newest:
                if row.user_id not in picked and self._likes_now(video_id, row.user_id):
                    picked.append(row.user_id)
                if len(picked) >= limit:
                    return picked
        return picked

    def _likes_now(self, video_id: int, user_id: int) -> bool:
        return bool(
            self._query(
                "SELECT user_id FROM {ks}.video_likers WHERE video_id = ? AND shard = ? AND user_id = ?",
                (video_id, _shard(user_id, LIKER_SHARDS), user_id),
            )
        )

    # --- watch sessions ---------------------------------------------------------------------------

    def record_watch(self, events: Sequence[EngagementEvent]) -> list[WatchSession]:
        groups: dict[tuple[str, int], list[EngagementEvent]] = defaultdict(list)
        for e in events:
            if e.kind in PLAYBACK_KINDS:
                groups[(e.viewer_key, e.video_id)].append(e)
        packed = {session: _pack(group) for session, group in groups.items()}
        self._run_by_partition(  # one row per (viewer, video) of this batch, not one per event
            "INSERT INTO {ks}.watch_event_groups (viewer_key, video_id, group_id, events) VALUES (?, ?, ?, ?)",
            [(viewer_key, video_id, group_id, cell) for (viewer_key, video_id), (group_id, cell, _) in packed.items()],
            key=lambda row: row[:2],
        )
        sessions = self._recompute_sessions(
            sorted(groups), written={session: (group_id, ticks) for session, (group_id, _, ticks) in packed.items()}
        )
        self._run_by_partition(  # a player's sessions share its partition: one batch
            "INSERT INTO {ks}.watch_sessions (viewer_key, video_id, total_watch_ms, max_position_ms, duration_ms, plays,"
            " rewatches, completed, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    s.viewer_key,
                    s.video_id,
                    s.total_watch_ms,
                    s.max_position_ms,
                    s.duration_ms,
                    s.plays,
                    s.rewatches,
                    s.completed,
                    s.first_at,
                    s.last_at,
                )
                for s in sessions
            ],
            key=lambda row: row[0],
        )
        return sessions

    def _recompute_sessions(
        self, touched: Sequence[tuple[str, int]], *, written: dict[tuple[str, int], tuple[uuid.UUID, dict[str, Tick]]]
    ) -> list[WatchSession]:
        """Each touched session recomputed from all its events: one read per viewer (its
        sessions' partitions with IN), the viewers read concurrently. Events are deduplicated
        by id: a replayed batch may have packed them into other groups. The group this batch
        just wrote is taken from memory, not decoded again."""
        if not touched:
            return []
        cql = "SELECT video_id, group_id, events FROM {ks}.watch_event_groups WHERE viewer_key = ? AND video_id IN ?"
        by_viewer: dict[str, list[int]] = defaultdict(list)
        for viewer_key, video_id in touched:
            by_viewer[viewer_key].append(video_id)
        reads = [
            (viewer_key, video_ids[start : start + SESSIONS_PER_READ])
            for viewer_key, video_ids in by_viewer.items()
            for start in range(0, len(video_ids), SESSIONS_PER_READ)
        ]
        with _translate_errors():
            results = execute_concurrent_with_args(
                self.session,
                self._stmt(cql),
                reads,
                concurrency=CONCURRENCY,
                results_generator=False,
                raise_on_first_error=True,
            )
        ticks: dict[tuple[str, int], dict[str, Tick]] = {
            session: dict(written[session][1]) for session in touched if session in written
        }
        for (viewer_key, _), (_, rows) in zip(reads, results, strict=True):
            for r in _rows(rows):
                session = (viewer_key, r.video_id)
                if session in written and r.group_id == written[session][0]:
                    continue  # ours: already in memory
                found = ticks.setdefault(session, {})
                for event_hex, tick in _unpack(r.events):
                    found.setdefault(event_hex, tick)
        return [
            summarize_ticks(viewer_key=viewer_key, video_id=video_id, ticks=ticks.get((viewer_key, video_id), {}).values())
            for viewer_key, video_id in touched
        ]

    def watch_session(self, *, viewer_key: str, video_id: int) -> WatchSession | None:
        rows = self._query(
            "SELECT total_watch_ms, max_position_ms, duration_ms, plays, rewatches, completed, first_at, last_at"
            " FROM {ks}.watch_sessions WHERE viewer_key = ? AND video_id = ?",
            (viewer_key, video_id),
        )
        if not rows:
            return None
        r = rows[0]
        return WatchSession(
            viewer_key=viewer_key,
            video_id=video_id,
            total_watch_ms=r.total_watch_ms,
            max_position_ms=r.max_position_ms,
            duration_ms=r.duration_ms,
            plays=r.plays,
            rewatches=r.rewatches,
            completed=r.completed,
            first_at=_aware(r.first_at),
            last_at=_aware(r.last_at),
        )

    # --- affinity --------------------------------------------------------------------------------

    def add_affinity(self, signals: Sequence[AffinitySignal]) -> None:
        self._run_by_partition(
            "INSERT INTO {ks}.affinity_signals (user_id, kind, key, event_id, weight, at) VALUES (?, ?, ?, ?, ?, ?)",
            [(s.user_id, s.kind, s.key, s.event_id, s.weight, s.at) for s in signals],
            key=lambda row: row[:2],
        )

    def affinities(self, *, user_id: int, kind: str, limit: int = 20) -> list[tuple[str, float]]:
        rows = self._query(
            "SELECT key, weight FROM {ks}.affinity_signals WHERE user_id = ? AND kind = ?", (user_id, kind)
        )
        scores: dict[str, float] = defaultdict(float)
        for row in rows:
            scores[row.key] += row.weight
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
