"""The worker side: drain the event stream in batches and write everything idempotently.

At-least-once: entries are acknowledged (and deleted) only after their batch is written.
A worker killed mid-batch leaves its entries pending; the next drain claims them after
ENGAGEMENT_CLAIM_IDLE_MS and writes them again, which changes nothing (every store write
is keyed by event id or natural key). Live counters are not touched here, so a replay can
never count twice.
"""

import logging
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError

from apps.engagement import deadletters, redis_scripts, stream
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
    # in the event log (two more partitions per like that nothing read; docs/benchmark.md). The log keeps shares and counted views (the store counts those per video); raw
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


def _dead(entries: list[tuple[str, str]], reason: str, error: str = "") -> None:
    """Dead-letter single events (their JSON): replayed as stream field ``e``."""
    deadletters.dead_letters_record(
        [
            Letter(kind=DeadLetter.Kind.EVENT, stream_id=sid, payload=payload, reason=reason, error=error)
            for sid, payload in entries
        ]
    )


# Events per stream entry seen by this process (a like is one, a player's batch up to 120): the
# next read asks for about one batch of events, so a worker never takes more entries than it
# writes in one go while the other workers wait for them.
_EVENTS_PER_ENTRY = {"seen": 1.0}


def _letters(malformed: list[stream.Malformed]) -> list[Letter]:
    return [
        Letter(kind=m.kind, stream_id=m.stream_id, payload=m.payload, statuses=m.statuses, reason=m.reason)
        for m in malformed
    ]


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
                _dead([(sid, stream.encode_event(event))], "processing_error", repr(single_exc))
    if unknown:
        by_id = {event.event_id: sid for sid, event in decoded}
        _dead([(by_id[e.event_id], stream.encode_event(e)) for e in unknown], "unknown_video")


def process_entries(
    client: redis.Redis, entries: list[stream.Entry], *, batch_size: int | None = None, deadline: float | None = None
) -> int:
    """Decode, write, then acknowledge, about ``batch_size`` events at a time. Past the
    deadline the rest stays pending for this consumer, which reads it first next time.
    Returns the number of events written."""
    size = batch_size or settings.ENGAGEMENT_BATCH_SIZE
    decoded, poison = stream.decode_entries(entries)
    if entries:
        _EVENTS_PER_ENTRY["seen"] = max(1.0, len(decoded) / len(entries))
    if poison:  # before the acknowledgement; a redelivery finds the same keys and adds nothing
        deadletters.dead_letters_record(_letters(poison))
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
        stream.ack(client, ids)  # poison entries have nothing to write: acknowledged with their chunk
        written += len(chunk)
        chunk, ids = [], []
        if deadline is not None and time.monotonic() > deadline:
            break
    return written


def drain(*, consumer: str | None = None, budget_s: float | None = None, batch_size: int | None = None) -> int:
    """Process batches until the stream has no full batch left or the time budget is spent.

    A short batch of new entries ends the run: under a steady stream, re-reading at once would
    find the few entries that arrived meanwhile and pay a batch's fixed cost (the store round
    trips, a notification task, the SQL) for each handful. They wait for the next drain instead,
    at most ENGAGEMENT_KICK_MS (the API's kick) or a second (beat) away."""
    client = redis_scripts.client()
    stream.ensure_group(client)
    consumer = consumer or consumer_name()
    size = batch_size or settings.ENGAGEMENT_BATCH_SIZE
    deadline = time.monotonic() + (budget_s if budget_s is not None else settings.ENGAGEMENT_DRAIN_BUDGET_S)
    processed = 0
    while time.monotonic() < deadline:
        count = max(1, round(size / _EVENTS_PER_ENTRY["seen"]))
        source, entries = stream.next_entries(client, consumer, count)
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
    client = redis_scripts.client()
    return {
        "stream_pending": stream.pending(client),
        "dirty_counters": client.scard(keys.DIRTY) + client.scard(keys.DIRTY_FLUSHING),
        "dead_letters": DeadLetter.objects.filter(status=DeadLetter.Status.DEAD).count(),
    }
