"""Dead letters: what the workers could not process, kept for operators (admin: list, replay).

Each kind is replayed in the form it arrived in:

- ``event``: one engagement event as JSON, put back on the stream as field ``e``;
- ``batch``: a request's batch entry, or one undecodable row of one (with its status and the
  batch's view window), put back as fields ``p`` and ``m``, so ``stream.decode_batch`` reads it;
- ``task``: a Celery task that failed for good (transient errors past its retries, or any other
  error), sent again by name with its arguments.

Idempotent: every letter has a unique ``key`` (the stream entry id and a digest of the payload,
or the task id) and is inserted with ON CONFLICT DO NOTHING. Letters are written before their
entry is acknowledged, so a redelivered entry or task finds its letter there and adds none.
A replay claims the letters (dead -> replayed) under a row lock in the transaction that
re-enqueues them: a second replay of the same letters, even concurrent, sends nothing.
"""

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.engagement import redis_scripts, stream
from apps.engagement.models import DeadLetter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    kind: str
    stream_id: str
    payload: str
    reason: str
    error: str = ""
    statuses: str = ""


def letter_key(kind: str, source_id: str, payload: str) -> str:
    return f"{kind}:{source_id}:{hashlib.sha256(payload.encode()).hexdigest()[:40]}"


def dead_letters_record(letters: Sequence[Letter]) -> None:
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                key=letter_key(letter.kind, letter.stream_id, letter.payload + "\n" + letter.statuses),
                kind=letter.kind,
                stream_id=letter.stream_id,
                payload=letter.payload,
                statuses=letter.statuses,
                reason=letter.reason,
                error=letter.error[:2000],
            )
            for letter in letters
        ],
        ignore_conflicts=True,
    )


def task_failure_record(*, task_name: str, task_id: str, args: Any, kwargs: Any, exc: BaseException) -> None:
    """A task failed for good: one letter per task id (a redelivered failure adds nothing)."""
    payload = json.dumps({"args": list(args or ()), "kwargs": dict(kwargs or {})}, default=str)
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                key=f"task:{task_id}",
                kind=DeadLetter.Kind.TASK,
                stream_id=str(task_id)[:40],
                task_name=task_name[:128],
                payload=payload,
                reason=f"task_failed:{type(exc).__name__}"[:64],
                error=repr(exc)[:2000],
            )
        ],
        ignore_conflicts=True,
    )


def dead_letters_replay(ids: Sequence[int]) -> int:
    """Put dead letters back (after the cause is fixed). Returns how many were replayed."""
    from workers.celery import app

    with transaction.atomic():
        letters = list(
            DeadLetter.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(ids), status=DeadLetter.Status.DEAD)
            .order_by("pk")
        )
        if not letters:
            return 0
        engagement = [letter for letter in letters if letter.kind != DeadLetter.Kind.TASK]
        if engagement:
            pipe = redis_scripts.client().pipeline(transaction=False)
            for letter in engagement:
                stream.append(pipe, stream.entry_fields(letter.kind, letter.payload, letter.statuses))
            pipe.execute()
        for letter in letters:
            if letter.kind == DeadLetter.Kind.TASK:
                call = json.loads(letter.payload)
                app.send_task(letter.task_name, args=call.get("args", []), kwargs=call.get("kwargs", {}))
        # Sent before the commit: if Redis refuses, the letters stay dead (a send whose commit then
        # fails is replayed again later, which the idempotent workers absorb).
        DeadLetter.objects.filter(pk__in=[letter.pk for letter in letters]).update(
            status=DeadLetter.Status.REPLAYED, replayed_at=timezone.now()
        )
    return len(letters)
