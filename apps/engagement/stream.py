"""The event stream between the request path and the workers: what an entry holds, and the
Redis commands that move entries (XADD, XREADGROUP, XAUTOCLAIM, XACK).

Two kinds of entry, both written by the request scripts (lua/like.lua, lua/batch.lua):

- field ``e``: one event as JSON (``encode_event``; likes);
- fields ``p`` and ``m``: one request's events as rows with its view window (``encode_batch``)
  and one EventStatus digit per event (``decode_batch``; playback and shares).

Every payload carries its schema version (``"v"``, SCHEMA_VERSION), and so does every dead
letter made of one. The workers read the current and the previous version (``READS``: version
1 is the envelope without ``"v"``), so a change to an event's fields is rolled out in two steps
(workers that read both, then requests that write the new one), never as a flag day. An entry
of a version the workers cannot read is dead-lettered as ``unsupported_version``: replayed once
workers that read it are deployed.
"""

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

from apps.engagement import redis_keys as keys
from apps.engagement.events import EngagementEvent
from apps.engagement.protocol import EventStatus
from apps.engagement.rules import stored_events

log = logging.getLogger(__name__)

Entry = tuple[bytes, dict[bytes, bytes]]
SCHEMA_VERSION = 2
READS = frozenset({1, 2})  # the current version and the previous one
_STATUS = {str(int(s)): s for s in EventStatus if s != EventStatus.DUPLICATE}


@dataclass(frozen=True)
class Malformed:
    """What could not be decoded, in its replayable form (``kind`` as DeadLetter.Kind)."""

    kind: str  # "event" (field e) or "batch" (fields p and m)
    stream_id: str
    payload: str
    statuses: str = ""
    reason: str = "malformed"  # or "unsupported_version"


class UnsupportedVersion(ValueError):
    pass


def _version(data: Any) -> int:
    """The payload's schema version (1: written before versions existed); UnsupportedVersion
    if these workers cannot read it."""
    version = data.get("v", 1) if isinstance(data, dict) else 1
    if version not in READS:
        raise UnsupportedVersion(f"schema version {version!r}; these workers read {sorted(READS)}")
    return version


# --- encoding ------------------------------------------------------------------------------------


def encode_event(event: EngagementEvent) -> str:
    return json.dumps({"v": SCHEMA_VERSION, **event.to_json()})


def encode_batch(events: list[EngagementEvent], window: int) -> str:
    """A batch's stream entry: the view window and the events as rows, in one encoding."""
    return json.dumps({"v": SCHEMA_VERSION, "w": window, "e": [event.to_row() for event in events]})


def decode_event(payload: str) -> EngagementEvent:
    """One event entry (field ``e``) of a version these workers read. ValueError, TypeError,
    KeyError or AttributeError if it is not one (UnsupportedVersion, a ValueError, for a version
    they cannot read)."""
    data = json.loads(payload)
    _version(data)
    if isinstance(data, dict):
        data.pop("v", None)
    return EngagementEvent.from_json(data)


def entry_fields(kind: str, payload: str, statuses: str = "") -> dict[str, str]:
    """The fields of an entry of ``kind`` (to put a dead letter back)."""
    if kind == "batch":
        return {"p": payload, "m": statuses}
    return {"e": payload}


# --- decoding ------------------------------------------------------------------------------------


def decode_batch(payload: str, statuses: str) -> tuple[list[EngagementEvent], list[Any]]:
    """The events of a batch entry the script kept (every status but DUPLICATE), with the views
    the VIEW_COUNTEDs counted and what the store keeps of the CAPPEDs (rules.capped_event), and
    the rows that could not be decoded. ValueError/TypeError/KeyError if the entry itself is not one."""
    data = json.loads(payload)
    _version(data)
    window, rows = data["w"], data["e"]
    if not isinstance(rows, list) or len(rows) != len(statuses):
        raise ValueError("a batch entry has one status per event")
    events: list[EngagementEvent] = []
    bad: list[Any] = []
    duplicate = str(int(EventStatus.DUPLICATE))
    for row, status in zip(rows, statuses, strict=True):
        if status == duplicate:
            continue
        try:
            event = EngagementEvent.from_row(row)
        except (ValueError, TypeError, AttributeError):
            bad.append(row)
            continue
        events += stored_events(event, _STATUS.get(status, EventStatus.ACCEPTED), window)
    return events, bad


def _bad_rows(sid: str, payload: str, statuses: str, bad: list[Any]) -> list[Malformed]:
    """Each undecodable row of a batch entry as a batch of its own (the row, its status, the
    entry's view window): a replay goes through ``decode_batch`` like the original did."""
    data = json.loads(payload)
    duplicate = str(int(EventStatus.DUPLICATE))
    envelope = {"v": data["v"]} if "v" in data else {}  # the entry's version, as it was written
    return [
        Malformed(
            kind="batch", stream_id=sid, payload=json.dumps({**envelope, "w": data["w"], "e": [row]}), statuses=status
        )
        for row, status in zip(data["e"], statuses, strict=True)
        if status != duplicate and row in bad
    ]


def _reason(exc: Exception) -> str:
    return "unsupported_version" if isinstance(exc, UnsupportedVersion) else "malformed"


def decode_entries(entries: list[Entry]) -> tuple[list[tuple[str, EngagementEvent]], list[Malformed]]:
    """Events of the entries, and what could not be decoded (whole entries, or single rows of a
    batch) in its replayable form."""
    decoded: list[tuple[str, EngagementEvent]] = []
    poison: list[Malformed] = []
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
                    Malformed(kind="batch", stream_id=sid, payload=payload, statuses=statuses, reason=_reason(exc))
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
            decoded.append((sid, decode_event(payload)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            poison.append(Malformed(kind="event", stream_id=sid, payload=payload, reason=_reason(exc)))
            log.warning("malformed engagement entry %s: %s", sid, exc)
    return decoded, poison


# --- moving entries ------------------------------------------------------------------------------


def ensure_group(client: redis.Redis) -> None:
    try:
        client.xgroup_create(keys.STREAM, keys.GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def append(client: Any, fields: dict[str, str]) -> None:
    """XADD one entry (on a client or a pipeline)."""
    client.xadd(keys.STREAM, fields)


def ack(client: redis.Redis, ids: list[bytes]) -> None:
    """Acknowledge and delete: the stream's length is what still waits."""
    pipe = client.pipeline(transaction=False)
    pipe.xack(keys.STREAM, keys.GROUP, *ids)
    pipe.xdel(keys.STREAM, *ids)
    pipe.execute()


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


def next_entries(client: redis.Redis, consumer: str, count: int) -> tuple[str, list[Entry]]:
    """1. our own unacknowledged entries (a batch that failed before), 2. stale entries of a
    dead consumer, 3. new entries; with where they came from ("own", "claimed", "new")."""
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


def pending(client: redis.Redis) -> int:
    """Entries still waiting (processed entries are deleted)."""
    return client.xlen(keys.STREAM)
