"""Cassandra adapter of the EngagementStore: prepared statements, concurrent execution.

Idempotency: every row is keyed by an event id or a natural key, so a replayed batch
rewrites the same cells. Likes are written USING TIMESTAMP = the event time in
microseconds, so the latest intent wins in any arrival order, including for deletes.
"""

import heapq
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
from cassandra.query import UNSET_VALUE, BatchStatement, BatchType, PreparedStatement
from django.db import connections

from apps.engagement.events import (
    COUNTED_KINDS,
    PLAYBACK_KINDS,
    AffinitySignal,
    EngagementEvent,
    Kind,
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
T = TypeVar("T")


_us = epoch_us


def _shard(value: Any, shards: int) -> int:
    return zlib.crc32(str(value).encode()) % shards


def _bucket(at: datetime) -> int:
    return int(at.timestamp()) // EVENT_BUCKET_S


def _month(at: datetime) -> int:
    return at.year * 100 + at.month


def _tick_cell(event: EngagementEvent) -> str:
    """A playback event as a watch session keeps it: "kind,watch_ms,position_ms,duration_ms,µs"."""
    return f"{event.kind},{event.watch_ms},{event.position_ms},{event.duration_ms},{_us(event.occurred_at)}"


def _tick(cell: str) -> Tick:
    kind, watch_ms, position_ms, duration_ms, at_us = cell.split(",")
    return kind, int(watch_ms), int(position_ms), int(duration_ms), int(at_us)


def _cell(value: Any) -> Any:
    """Empty optional fields (no session, no watch time, no share target: every like) are not
    written at all; readers take a missing cell as empty. Fewer values to bind and cells to store."""
    return value if value else UNSET_VALUE


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
        single row packed ten to a batch (Cassandra's warning threshold), so many likes by many
        users cost a tenth of the requests."""
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
        # still spread over all 16 shards. Counted views stay out of the per-video log: they
        # are kept per video in video_counted_events and per viewer in the history, so a view
        # costs no third partition write (docs/benchmark.md).
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
                    _cell(e.user_id),
                    _cell(e.session_id),
                    _cell(e.watch_ms),
                    _cell(e.position_ms),
                    _cell(e.duration_ms),
                    _cell(e.target),
                )
                for e in events
                if e.kind != Kind.VIEW
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
                (e.user_id, _month(e.occurred_at), e.occurred_at, e.event_id, e.kind, e.video_id, _cell(e.watch_ms))
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

    def record_watch(self, events: Sequence[EngagementEvent]) -> None:
        """Add the events to their sessions' tick maps, keyed by event id: blind writes (no
        read before them), one row per (viewer, video) of the batch in the viewer's partition,
        and a replay, however its events are grouped, rewrites the same map entries."""
        ticks: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        for e in events:
            if e.kind in PLAYBACK_KINDS:
                ticks[(e.viewer_key, e.video_id)][e.event_id.hex] = _tick_cell(e)
        self._run_by_partition(
            "UPDATE {ks}.watch_sessions SET ticks = ticks + ? WHERE viewer_key = ? AND video_id = ?",
            [(cells, viewer_key, video_id) for (viewer_key, video_id), cells in ticks.items()],
            key=lambda row: row[1],
        )

    def watch_session(self, *, viewer_key: str, video_id: int) -> WatchSession | None:
        rows = self._query(
            "SELECT ticks FROM {ks}.watch_sessions WHERE viewer_key = ? AND video_id = ?", (viewer_key, video_id)
        )
        if not rows or not rows[0].ticks:
            return None
        ticks = [_tick(cell) for cell in rows[0].ticks.values()]
        return summarize_ticks(viewer_key=viewer_key, video_id=video_id, ticks=ticks)

    # --- affinity --------------------------------------------------------------------------------

    def add_affinity(self, signals: Sequence[AffinitySignal]) -> None:
        """One row per (user, target, video) of the batch: its parts added to the row's map
        (blind writes, a replay rewrites the same entries); a user's rows of one kind share a
        partition, so a player's batch is one or two mutations."""
        rows: dict[tuple[int, str, str, int], tuple[dict[str, float], datetime]] = {}
        for s in signals:
            parts, at = rows.setdefault((s.user_id, s.kind, s.key, s.video_id), ({}, s.at))
            parts[s.part] = s.weight
            if s.at > at:
                rows[(s.user_id, s.kind, s.key, s.video_id)] = (parts, s.at)
        self._run_by_partition(
            "UPDATE {ks}.affinity_by_video SET parts = parts + ?, at = ?"
            " WHERE user_id = ? AND kind = ? AND key = ? AND video_id = ?",
            [(parts, at, *row_key) for row_key, (parts, at) in rows.items()],
            key=lambda row: row[2:4],
        )

    def affinities(self, *, user_id: int, kind: str, limit: int = 20) -> list[tuple[str, float]]:
        rows = self._query(
            "SELECT key, parts FROM {ks}.affinity_by_video WHERE user_id = ? AND kind = ?", (user_id, kind)
        )
        scores: dict[str, float] = defaultdict(float)
        for row in rows:
            scores[row.key] += sum((row.parts or {}).values())
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
