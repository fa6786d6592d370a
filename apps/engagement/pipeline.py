"""The worker side: drain the event stream in batches and write everything idempotently.

At-least-once: entries are acknowledged (and deleted) only after their batch is written.
A worker killed mid-batch leaves its entries pending; the next drain claims them after
ENGAGEMENT_CLAIM_IDLE_MS and writes them again, which changes nothing (every store write
is keyed by event id or natural key). Live counters are not touched here, so a replay can
never count twice.
"""

import json
import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError

from apps.engagement import deadletters
from apps.engagement import redis_keys as keys
from apps.engagement.deadletters import Letter
from apps.engagement.events import COMPLETION_SHARE, PLAYBACK_KINDS, AffinitySignal, EngagementEvent, Kind, LikeChange
from apps.engagement.models import DeadLetter
from apps.engagement.store import StoreUnavailable, get_store

log = logging.getLogger(__name__)

# Affinity weight of each part of a user's engagement with a video, towards its creator and
# each of its hashtags. Event parts are keyed by the event's id; finishing the video counts
# once per (viewer, video) however many plays complete it, each rewatch (loop) counts.
AFFINITY_WEIGHTS = {
    Kind.LIKE: 3.0,
    Kind.SHARE: 4.0,
    Kind.VIEW: 1.0,
    Kind.SKIP: -1.0,
    Kind.LOOP: 1.5,
}
COMPLETED_PART = "completed"
COMPLETED_WEIGHT = 1.0
LIKE_KINDS = frozenset({Kind.LIKE, Kind.UNLIKE})
RETRYABLE = (StoreUnavailable, DatabaseError, redis.RedisError)


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- writing a batch ----------------------------------------------------------------------------


def _targets(video: dict) -> list[tuple[str, str]]:
    return [("creator", str(video["creator_id"]))] + [("hashtag", tag) for tag in video["hashtags"]]


def _completes(event: EngagementEvent) -> bool:
    if event.kind == Kind.COMPLETE:
        return True
    return event.kind in PLAYBACK_KINDS and 0 < event.duration_ms * COMPLETION_SHARE <= event.position_ms


def _signals(events: Sequence[EngagementEvent], meta: dict[int, dict]) -> list[AffinitySignal]:
    """Each event's parts towards the video's creator and hashtags. Parts have stable keys
    (the event id, or "completed"), so a replay rewrites the same values, whatever batch the
    events come back in, and nothing here reads what was stored before."""
    signals = []
    for event in events:
        if event.user_id is None:  # anonymous viewers have no affinities
            continue
        parts = []
        weight = AFFINITY_WEIGHTS.get(event.kind)
        if weight is not None:
            parts.append((event.event_id.hex, weight))
        if _completes(event):
            parts.append((COMPLETED_PART, COMPLETED_WEIGHT))
        for part, part_weight in parts:
            for kind, key in _targets(meta[event.video_id]):
                signals.append(
                    AffinitySignal(
                        user_id=event.user_id,
                        kind=kind,
                        key=key,
                        video_id=event.video_id,
                        part=part,
                        weight=part_weight,
                        at=event.occurred_at,
                    )
                )
    return signals


def _notify_likes(events: Sequence[EngagementEvent], meta: dict[int, dict]) -> None:
    from apps.notifications import facade as notifications

    likes = [
        {
            "kind": "like",
            "actor_id": e.user_id,
            "target_user_id": meta[e.video_id]["creator_id"],
            "video_id": e.video_id,
            "event_id": f"like:{e.user_id}:{e.video_id}",
            "occurred_at": e.occurred_at.timestamp(),
        }
        for e in events
        if e.kind == Kind.LIKE and e.user_id is not None and e.user_id != meta[e.video_id]["creator_id"]
    ]
    if likes:
        notifications.notify_events(likes)


def process_events(events: Sequence[EngagementEvent]) -> list[EngagementEvent]:
    """Write one batch to the store (event log, likes, watch sessions, affinity)
    and hand likes to notifications. Returns the events whose video no longer exists (not written)."""
    from apps.videos import facade as videos

    if not events:
        return []
    meta = videos.videos_for_signals(sorted({e.video_id for e in events}))
    known = [e for e in events if e.video_id in meta]
    store = get_store()
    # Each fact is written where something reads it. A like or unlike lives in the like tables
    # (the user's like state, the video's likers and recent likers) and the affinity, not also
    # in the event log: two more partitions per like, 40 % of a like's worker time, that nothing
    # read. The log keeps shares and counted views (the store counts those per video); raw
    # playback ticks live once, in the viewer's watch session.
    store.record_events([e for e in known if e.kind not in PLAYBACK_KINDS and e.kind not in LIKE_KINDS])
    store.apply_likes(
        [
            LikeChange(
                user_id=e.user_id, video_id=e.video_id, liked=e.kind == Kind.LIKE, at=e.occurred_at, event_id=e.event_id
            )
            for e in known
            if e.kind in LIKE_KINDS and e.user_id is not None
        ]
    )
    store.record_watch([e for e in known if e.kind in PLAYBACK_KINDS])
    store.add_affinity(_signals(known, meta))
    _notify_likes(known, meta)
    return [e for e in events if e.video_id not in meta]


# --- draining the stream ---------------------------------------------------------------------------


def _client() -> redis.Redis:
    from apps.engagement.ingest import redis_client

    return redis_client()


def ensure_group(client: redis.Redis) -> None:
    try:
        client.xgroup_create(keys.STREAM, keys.GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _dead(entries: list[tuple[str, str]], reason: str, error: str = "") -> None:
    """Dead-letter single events (their JSON): replayed as stream field ``e``."""
    deadletters.dead_letters_record(
        [
            Letter(kind=DeadLetter.Kind.EVENT, stream_id=sid, payload=payload, reason=reason, error=error)
            for sid, payload in entries
        ]
    )


Entry = tuple[bytes, dict[bytes, bytes]]
# Events per stream entry seen by this process (a like is one, a player's batch up to 120): the
# next read asks for about one batch of events, so a worker never takes more entries than it
# writes in one go while the other workers wait for them.
_EVENTS_PER_ENTRY = {"seen": 1.0}


def _bad_rows(sid: str, payload: str, statuses: str, bad: list[Any]) -> list[Letter]:
    """Each undecodable row of a batch entry as a batch of its own (the row, its status, the
    entry's view window): a replay goes through ``decode_batch`` like the original did."""
    data = json.loads(payload)
    letters = []
    for row, status in zip(data["e"], statuses, strict=True):
        if status != "0" and row in bad:
            letters.append(
                Letter(
                    kind=DeadLetter.Kind.BATCH,
                    stream_id=sid,
                    payload=json.dumps({"w": data["w"], "e": [row]}),
                    statuses=status,
                    reason="malformed",
                )
            )
    return letters


def _decode(entries: list[Entry]) -> tuple[list[tuple[str, EngagementEvent]], list[Letter]]:
    """Events of the entries (field ``e``: one event, as JSON; ``p`` and ``m``: one request's
    events as rows and their statuses, ingest.decode_batch), and what could not be decoded
    (whole entries, or single rows of a batch), as dead letters in their replayable form."""
    from apps.engagement.ingest import decode_batch

    decoded: list[tuple[str, EngagementEvent]] = []
    poison: list[Letter] = []
    for raw_id, fields in entries:
        sid = raw_id.decode()
        packed = fields.get(b"p")
        if packed is not None:
            payload = packed.decode(errors="replace")
            statuses = fields.get(b"m", b"").decode(errors="replace")
            try:
                events, bad = decode_batch(payload, statuses)
            except (ValueError, TypeError, KeyError) as exc:
                poison.append(
                    Letter(
                        kind=DeadLetter.Kind.BATCH,
                        stream_id=sid,
                        payload=payload,
                        statuses=statuses,
                        reason="malformed",
                    )
                )
                log.warning("malformed engagement batch %s: %s", sid, exc)
                continue
            decoded += [(sid, event) for event in events]
            if bad:
                poison += _bad_rows(sid, payload, statuses, bad)
                log.warning("%d malformed engagement events in %s", len(bad), sid)
            continue
        payload = (fields.get(b"e") or b"").decode(errors="replace")
        try:
            decoded.append((sid, EngagementEvent.from_json(json.loads(payload))))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            poison.append(Letter(kind=DeadLetter.Kind.EVENT, stream_id=sid, payload=payload, reason="malformed"))
            log.warning("malformed engagement entry %s: %s", sid, exc)
    return decoded, poison


def _write(decoded: list[tuple[str, EngagementEvent]]) -> None:
    """Write decoded events. Retryable failures propagate (entries stay pending); anything
    else is isolated event by event and dead-lettered."""
    try:
        unknown = process_events([event for _, event in decoded])
    except RETRYABLE:
        raise
    except Exception:  # a bug or a poison event: find it, keep the rest moving
        log.exception("batch failed; isolating events")
        unknown = []
        for sid, event in decoded:
            try:
                unknown += process_events([event])
            except RETRYABLE:
                raise
            except Exception as single_exc:
                _dead([(sid, json.dumps(event.to_json()))], "processing_error", repr(single_exc))
    if unknown:
        by_id = {event.event_id: sid for sid, event in decoded}
        _dead([(by_id[e.event_id], json.dumps(e.to_json())) for e in unknown], "unknown_video")


def _ack(client: redis.Redis, ids: list[bytes]) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.xack(keys.STREAM, keys.GROUP, *ids)
    pipe.xdel(keys.STREAM, *ids)
    pipe.execute()


def process_entries(
    client: redis.Redis, entries: list[Entry], *, batch_size: int | None = None, deadline: float | None = None
) -> int:
    """Decode, write, then acknowledge, about ``batch_size`` events at a time. Past the
    deadline the rest stays pending for this consumer, which reads it first next time.
    Returns the number of events written."""
    size = batch_size or settings.ENGAGEMENT_BATCH_SIZE
    decoded, poison = _decode(entries)
    if entries:
        _EVENTS_PER_ENTRY["seen"] = max(1.0, len(decoded) / len(entries))
    if poison:  # before the acknowledgement; a redelivery finds the same keys and adds nothing
        deadletters.dead_letters_record(poison)
    by_entry: dict[str, list[tuple[str, EngagementEvent]]] = {}
    for sid, event in decoded:
        by_entry.setdefault(sid, []).append((sid, event))
    written = 0
    chunk: list[tuple[str, EngagementEvent]] = []
    ids: list[bytes] = []
    for position, (raw_id, _) in enumerate(entries):
        chunk += by_entry.get(raw_id.decode(), [])
        ids.append(raw_id)
        if len(chunk) < size and position < len(entries) - 1:
            continue
        _write(chunk)
        _ack(client, ids)  # poison entries have nothing to write: acknowledged with their chunk
        written += len(chunk)
        chunk, ids = [], []
        if deadline is not None and time.monotonic() > deadline:
            break
    return written


# When this process last looked for a dead consumer's entries (monotonic seconds).
_CLAIM_CHECKED = {"at": float("-inf")}


def _claim_due() -> bool:
    # XAUTOCLAIM walks the group's pending list (about a millisecond with two batches in
    # flight), and Redis answers no like meanwhile. An entry becomes claimable only after
    # ENGAGEMENT_CLAIM_IDLE_MS, so looking ten times per that period is enough.
    now = time.monotonic()
    if now - _CLAIM_CHECKED["at"] < settings.ENGAGEMENT_CLAIM_IDLE_MS / 10_000:
        return False
    _CLAIM_CHECKED["at"] = now
    return True


def _next_entries(client: redis.Redis, consumer: str, count: int) -> tuple[str, list]:
    # 1. our own unacknowledged entries (a batch that failed before), 2. stale entries of
    # a dead consumer, 3. new entries.
    own = client.xreadgroup(keys.GROUP, consumer, {keys.STREAM: "0"}, count=count)
    if own and own[0][1]:
        return "own", own[0][1]
    if _claim_due():
        _, claimed, *_ = client.xautoclaim(
            keys.STREAM,
            keys.GROUP,
            consumer,
            min_idle_time=settings.ENGAGEMENT_CLAIM_IDLE_MS,
            start_id="0-0",
            count=count,
        )
        if claimed:
            _CLAIM_CHECKED["at"] = float("-inf")  # there may be more: look again next time
            return "claimed", [entry for entry in claimed if entry and entry[1] is not None]
    new = client.xreadgroup(keys.GROUP, consumer, {keys.STREAM: ">"}, count=count)
    return "new", new[0][1] if new else []


def drain(*, consumer: str | None = None, budget_s: float | None = None, batch_size: int | None = None) -> int:
    """Process batches until the stream has no full batch left or the time budget is spent.

    A short batch of new entries ends the run: under a steady stream, re-reading at once would
    find the few entries that arrived meanwhile and pay a batch's fixed cost (the store round
    trips, a notification task, the SQL) for each handful. They wait for the next drain instead,
    at most ENGAGEMENT_KICK_MS (the API's kick) or a second (beat) away."""
    client = _client()
    ensure_group(client)
    consumer = consumer or consumer_name()
    size = batch_size or settings.ENGAGEMENT_BATCH_SIZE
    deadline = time.monotonic() + (budget_s if budget_s is not None else settings.ENGAGEMENT_DRAIN_BUDGET_S)
    processed = 0
    while time.monotonic() < deadline:
        count = max(1, round(size / _EVENTS_PER_ENTRY["seen"]))
        source, entries = _next_entries(client, consumer, count)
        if not entries:
            break
        processed += process_entries(client, entries, batch_size=size, deadline=deadline)
        if source == "new" and len(entries) < count:
            break
    return processed


def replay_dead_letters(ids: Sequence[int]) -> int:
    """Put dead letters back on the stream, or re-send failed tasks (after the cause is fixed)."""
    return deadletters.dead_letters_replay(ids)


def status() -> dict[str, Any]:
    client = _client()
    # Processed entries are deleted, so the stream's length is what still waits.
    return {
        "stream_pending": client.xlen(keys.STREAM),
        "dirty_counters": client.scard(keys.DIRTY) + client.scard(keys.DIRTY_FLUSHING),
        "dead_letters": DeadLetter.objects.filter(status=DeadLetter.Status.DEAD).count(),
    }
