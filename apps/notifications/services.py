"""Writes of notifications. Only Celery tasks call the event paths (never a request)."""

import contextlib
import json
import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.accounts import facade as accounts
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.notifications import realtime
from apps.notifications.endpoints import endpoint_check
from apps.notifications.models import (
    AGGREGATED_KINDS,
    Kind,
    Notification,
    NotificationActor,
    NotificationSettings,
    ProcessedEvent,
    PushDelivery,
    PushSubscription,
    VideoPublication,
)
from apps.notifications.push import PushResult, PushTarget, provider_for
from apps.videos import facade as videos

logger = logging.getLogger(__name__)
RECENT_ACTORS = 3
# Kinds sent by the platform itself: the actor may be the recipient (or nobody).
SYSTEM_KINDS = frozenset({Kind.PROCESSING_FINISHED.value, Kind.MODERATION.value})
# Kinds about a video the recipient does not own: check the recipient may see it.
VIEW_CHECKED_KINDS = frozenset({Kind.MENTION.value, Kind.REPLY.value, Kind.NEW_VIDEO.value})
FINAL_DELIVERY = frozenset({PushDelivery.Status.SENT, PushDelivery.Status.DEAD})


@dataclass(frozen=True)
class Event:
    kind: str
    recipient_id: int
    event_id: str
    actor_id: int | None = None
    video_id: int | None = None
    comment_id: int | None = None
    occurred_at: float = 0.0  # epoch seconds
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def target_key(self) -> str:
        if self.kind in (Kind.FOLLOW,):
            return f"user:{self.recipient_id}"
        if self.kind == Kind.FOLLOW_REQUEST:
            return f"user:{self.actor_id}"
        if self.kind == Kind.COMMENT:
            return f"video:{self.video_id}"
        if self.comment_id is not None:
            return f"comment:{self.comment_id}"
        if self.video_id is not None:
            return f"video:{self.video_id}"
        return f"event:{self.event_id}"[:48]

    @property
    def bucket(self) -> int:
        if self.kind not in AGGREGATED_KINDS:
            return 0
        return int(self.occurred_at // settings.NOTIFICATIONS_AGGREGATION_WINDOW_S)


def event_from_dict(raw: dict[str, Any]) -> Event:
    kind = raw.get("kind")
    if kind not in Kind.values:
        raise ValidationFailed(f"Unknown notification kind {kind!r}.", code="unknown_notification_kind")
    if not raw.get("event_id") or not raw.get("recipient_id"):
        raise ValidationFailed("event_id and recipient_id are required.")
    return Event(
        kind=kind,
        recipient_id=int(raw["recipient_id"]),
        event_id=str(raw["event_id"])[:128],
        actor_id=int(raw["actor_id"]) if raw.get("actor_id") is not None else None,
        video_id=int(raw["video_id"]) if raw.get("video_id") is not None else None,
        comment_id=int(raw["comment_id"]) if raw.get("comment_id") is not None else None,
        occurred_at=float(raw.get("occurred_at") or timezone.now().timestamp()),
        data=dict(raw.get("data") or {}),
    )


# --- preferences --------------------------------------------------------------------


def kind_enabled(prefs: NotificationSettings | None, kind: str, channel: str) -> bool:
    if prefs is None:
        return True
    return bool((prefs.kinds or {}).get(kind, {}).get(channel, True))


def is_muted(prefs: NotificationSettings | None) -> bool:
    return bool(prefs and prefs.muted_until and prefs.muted_until > timezone.now())


def settings_update(
    *, user: Any, kinds: dict[str, dict[str, bool]] | None, muted_until: Any = ...
) -> NotificationSettings:
    prefs, _ = NotificationSettings.objects.get_or_create(user=user)
    fields = []
    if kinds is not None:
        merged = dict(prefs.kinds or {})
        for kind, channels in kinds.items():
            merged[kind] = {**merged.get(kind, {}), **channels}
        prefs.kinds = merged
        fields.append("kinds")
    if muted_until is not ...:
        prefs.muted_until = muted_until
        fields.append("muted_until")
    if fields:
        prefs.save(update_fields=fields)
    return prefs


# --- recording events (tasks only) ------------------------------------------------


def _columns(rows: list[tuple], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists, for ``unnest(%s::type[], ...)``: a batch is a few array
    parameters, not thousands of placeholders (the driver parses a long query's placeholders
    in Python on every call: most of a batch's cost at hundreds of rows)."""
    return [[row[i] for row in rows] for i in range(width)]


def _claim_events(event_ids: list[str]) -> set[str]:
    """Insert the event ids; return those seen for the first time (ON CONFLICT DO NOTHING)."""
    if not event_ids:
        return set()
    table = ProcessedEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter (see _unnest)
            cursor.execute(
                f"INSERT INTO {table} (event_id, created_at) SELECT e, CURRENT_TIMESTAMP"  # noqa: S608 - table name is ours
                " FROM unnest(%s::varchar[]) AS e ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [event_ids],
            )
        else:
            placeholders = ",".join(["(%s, CURRENT_TIMESTAMP)"] * len(event_ids))
            cursor.execute(
                f"INSERT INTO {table} (event_id, created_at) VALUES {placeholders} "  # noqa: S608 - table name is ours
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                event_ids,
            )
        return {row[0] for row in cursor.fetchall()}


def _rows_for_update(keys: list[tuple]) -> dict[tuple, Notification]:
    """The unread rows for these (recipient, kind, target, bucket) keys, locked in id order."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        # One join against the keys: an OR of hundreds of Q objects costs more Python to build
        # than the query costs PostgreSQL.
        table = connection.ops.quote_name(Notification._meta.db_table)
        found: Any = Notification.objects.raw(
            f"SELECT n.* FROM {table} n JOIN unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[])"  # noqa: S608
            " AS k(recipient_id, kind, target_key, bucket)"
            " ON n.recipient_id = k.recipient_id AND n.kind = k.kind AND n.target_key = k.target_key"
            " AND n.bucket = k.bucket WHERE NOT n.is_read ORDER BY n.id FOR UPDATE OF n",
            _columns(keys, 4),
        )
    else:
        match = Q()
        for recipient_id, kind, target_key, bucket in keys:
            match |= Q(recipient_id=recipient_id, kind=kind, target_key=target_key, bucket=bucket)
        found = Notification.objects.select_for_update().filter(match, is_read=False).order_by("pk")
    return {(r.recipient_id, r.kind, r.target_key, r.bucket): r for r in found}


def _save_aggregates(rows: list[Notification]) -> None:
    """Write the aggregated fields of locked rows: one statement on PostgreSQL (bulk_update's
    CASE per row and field costs milliseconds of Python per hundred rows), its values as arrays."""
    fields = ["actor_count", "recent_actor_ids", "data", "updated_at"]
    if connection.vendor != "postgresql":
        Notification.objects.bulk_update(rows, fields)
        return
    opts = Notification._meta
    table = connection.ops.quote_name(opts.db_table)
    data_encoder = opts.get_field("data").encoder
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS n SET actor_count = c.actor_count, recent_actor_ids = c.recent_actor_ids::jsonb,"  # noqa: S608
            " data = c.data::jsonb, updated_at = c.updated_at"
            " FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::text[], %s::timestamptz[])"
            " AS c(id, actor_count, recent_actor_ids, data, updated_at) WHERE n.id = c.id",
            [
                [row.pk for row in rows],
                [row.actor_count for row in rows],
                [json.dumps(row.recent_actor_ids) for row in rows],
                [json.dumps(row.data, cls=data_encoder) for row in rows],
                [row.updated_at for row in rows],
            ],
        )


def _add_actors_many(actors_by_row: dict[int, list[int]]) -> dict[int, list[int]]:
    """Distinct new actors per row (one statement for the batch), in the given order."""
    pairs = [(row_id, actor_id) for row_id, actor_ids in actors_by_row.items() for actor_id in actor_ids]
    if not pairs:
        return {}
    table = NotificationActor._meta.db_table
    conflict = "ON CONFLICT (notification_id, actor_id) DO NOTHING RETURNING notification_id, actor_id"
    inserted: set[tuple[int, int]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (notification_id, actor_id, created_at) SELECT n, a, CURRENT_TIMESTAMP"  # noqa: S608
                f" FROM unnest(%s::bigint[], %s::bigint[]) AS p(n, a) {conflict}",
                _columns(pairs, 2),
            )
            inserted.update(cursor.fetchall())
        else:
            for start in range(0, len(pairs), 1000):
                chunk = pairs[start : start + 1000]
                placeholders = ",".join(["(%s, %s, CURRENT_TIMESTAMP)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} (notification_id, actor_id, created_at) VALUES {placeholders} {conflict}",  # noqa: S608
                    [value for pair in chunk for value in pair],
                )
                inserted.update(cursor.fetchall())
    return {
        row_id: [actor_id for actor_id in actor_ids if (row_id, actor_id) in inserted]
        for row_id, actor_ids in actors_by_row.items()
    }


def _allowed(event: Event, *, blocked: set[int], prefs: NotificationSettings | None) -> bool:
    if event.kind not in SYSTEM_KINDS and (event.actor_id is None or event.actor_id == event.recipient_id):
        return False  # never for your own actions
    if event.actor_id is not None and event.actor_id in blocked:
        return False
    if not kind_enabled(prefs, event.kind, "in_app"):
        return False
    if event.kind in VIEW_CHECKED_KINDS and event.video_id is not None:
        viewer = _user(event.recipient_id)
        if viewer is None or not videos.video_can_view(video_id=event.video_id, viewer=viewer):
            return False
    return True


def _user(user_id: int) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


@transaction.atomic
def events_record(*, events: list[dict[str, Any]]) -> list[int]:
    """Turn events into (aggregated) notifications. Idempotent per event id.

    Returns the ids of the rows created or changed. Live and push delivery follow the commit.
    """
    parsed = [event_from_dict(raw) for raw in events]
    fresh = _claim_events(list(dict.fromkeys(e.event_id for e in parsed)))
    seen: set[str] = set()
    todo = []
    for event in parsed:
        if event.event_id in fresh and event.event_id not in seen:
            seen.add(event.event_id)
            todo.append(event)
    if not todo:
        return []
    recipients = {e.recipient_id for e in todo}
    prefs_by_user = {p.user_id: p for p in NotificationSettings.objects.filter(user_id__in=recipients)}
    blocked_by_user = accounts.block_partner_ids_many(list(recipients))
    groups: dict[tuple, list[Event]] = defaultdict(list)
    for event in todo:
        prefs = prefs_by_user.get(event.recipient_id)
        if _allowed(event, blocked=blocked_by_user[event.recipient_id], prefs=prefs):
            groups[(event.recipient_id, event.kind, event.target_key, event.bucket)].append(event)

    # One locking read, one insert of the missing rows, one actor insert and one bulk update
    # for the whole batch, however many recipients it touches.
    rows = _rows_for_update(list(groups))
    missing = [key for key in groups if key not in rows]
    if missing:
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=recipient_id,
                    kind=kind,
                    target_key=target_key,
                    bucket=bucket,
                    video_id=groups[key][-1].video_id,
                    comment_id=groups[key][-1].comment_id,
                    data=groups[key][-1].data,
                )
                for key in missing
                for recipient_id, kind, target_key, bucket in [key]
            ],
            ignore_conflicts=True,
        )
        rows.update(_rows_for_update(missing))
    created = [row.pk for key, row in rows.items() if row.actor_count == 0 and key in groups]
    wanted = {
        rows[key].pk: list(dict.fromkeys(reversed([e.actor_id for e in group if e.actor_id is not None])))
        for key, group in groups.items()
    }
    new_actors = _add_actors_many(wanted)  # newest first per row
    now = timezone.now()
    for key, group in groups.items():
        row = rows[key]
        added = new_actors.get(row.pk, [])
        row.actor_count += len(added)  # safe: the row is locked until this transaction ends
        row.recent_actor_ids = (added + [a for a in row.recent_actor_ids if a not in added])[:RECENT_ACTORS]
        row.data = {**row.data, **group[-1].data}
        row.updated_at = now
    changed = [rows[key] for key in groups]
    _save_aggregates(changed)
    touched = [row.pk for row in changed]

    _queue_pushes(created, prefs_by_user)
    transaction.on_commit(lambda: deliver_live(notification_ids=touched))
    return touched


def _queue_pushes(notification_ids: list[int], prefs_by_user: dict[int, NotificationSettings]) -> None:
    """One delivery record per (new notification, active subscription); sent after commit."""
    if not notification_ids:
        return
    rows = Notification.objects.filter(pk__in=notification_ids).values_list("pk", "recipient_id", "kind")
    wanted = {
        pk: rid
        for pk, rid, kind in rows
        if kind_enabled(prefs_by_user.get(rid), kind, "push") and not is_muted(prefs_by_user.get(rid))
    }
    subs = PushSubscription.objects.filter(user_id__in=set(wanted.values()), is_active=True).values_list(
        "pk", "user_id"
    )
    subs_by_user: dict[int, list[int]] = defaultdict(list)
    for sub_id, user_id in subs:
        subs_by_user[user_id].append(sub_id)
    deliveries = [
        PushDelivery(notification_id=pk, subscription_id=sub_id)
        for pk, rid in wanted.items()
        for sub_id in subs_by_user[rid]
    ]
    if not deliveries:
        return
    PushDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    ids = list(
        PushDelivery.objects.filter(
            notification_id__in=list(wanted), status=PushDelivery.Status.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )

    def enqueue() -> None:
        from apps.notifications.tasks import send_push

        for delivery_id in ids:
            send_push.delay(delivery_id)

    transaction.on_commit(enqueue)


def deliver_live(*, notification_ids: list[int]) -> None:
    """Send the rows' current state to their recipients' websockets (unless muted)."""
    from apps.notifications.selectors import notifications_render

    if not notification_ids:
        return
    # Only recipients with a socket open: the rest read their inbox when they come back.
    recipients = Notification.objects.filter(pk__in=notification_ids).values_list("recipient_id", flat=True)
    listening = realtime.online(recipients)
    if not listening:
        return
    rows = list(Notification.objects.filter(pk__in=notification_ids, recipient_id__in=listening))
    prefs_by_user = {
        p.user_id: p for p in NotificationSettings.objects.filter(user_id__in={r.recipient_id for r in rows})
    }
    realtime.publish_many(
        [
            (row.recipient_id, {"type": "notification", "notification": payload})
            for payload, row in zip(notifications_render(rows), rows, strict=True)
            if not is_muted(prefs_by_user.get(row.recipient_id))
        ]
    )


# --- new videos: fan-out to followers in batches --------------------------------------


def video_publication_record(*, video_id: int, creator_id: int) -> bool:
    _, created = VideoPublication.objects.get_or_create(video_id=video_id, defaults={"creator_id": creator_id})
    return created


def _inactive_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.NOTIFICATIONS_INACTIVE_AFTER_DAYS)


@transaction.atomic
def new_video_fanout_batch(*, video_id: int, creator_id: int, after_follower_id: int = 0) -> int | None:
    """Notify one batch of followers (by follower id > ``after_follower_id``).

    Returns the cursor for the next batch, or None when done. Idempotent: a redelivered batch is
    claimed already and only hands back the cursor. Inactive followers are skipped; they pull
    missed videos when they come back (``notifications_pull_missed``).
    """
    size = settings.NOTIFICATIONS_FANOUT_BATCH
    followers = accounts.follower_ids_page(
        user_id=creator_id, after_id=after_follower_id, limit=size, skip=accounts.block_partner_ids(creator_id)
    )
    if not followers:
        return None
    cursor = followers[-1] if len(followers) == size else None
    if not _claim_events([f"fanout:{video_id}:{after_follower_id}"]):
        return cursor
    probe = _user(followers[0])
    if probe is None or not videos.video_can_view(video_id=video_id, viewer=probe):
        return None  # not visible to followers (private, removed, ...): stop the fan-out
    prefs_by_user = {p.user_id: p for p in NotificationSettings.objects.filter(user_id__in=followers)}
    cutoff = _inactive_cutoff()
    recipients = [
        uid
        for uid in followers
        if kind_enabled(prefs_by_user.get(uid), Kind.NEW_VIDEO, "in_app")
        and not (
            prefs_by_user.get(uid) and prefs_by_user[uid].last_seen_at and prefs_by_user[uid].last_seen_at < cutoff
        )
    ]
    _bulk_new_video(video_id=video_id, creator_id=creator_id, recipients=recipients)
    new_ids = list(
        Notification.objects.filter(
            recipient_id__in=recipients, kind=Kind.NEW_VIDEO, target_key=f"video:{video_id}", is_read=False
        ).values_list("pk", flat=True)
    )
    _queue_pushes(new_ids, prefs_by_user)
    transaction.on_commit(lambda: deliver_live(notification_ids=new_ids))
    return cursor


def _bulk_new_video(*, video_id: int, creator_id: int, recipients: list[int]) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid,
                kind=Kind.NEW_VIDEO,
                target_key=f"video:{video_id}",
                video_id=video_id,
                actor_count=1,
                recent_actor_ids=[creator_id],
            )
            for uid in recipients
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def notifications_seen(*, user: Any) -> None:
    """The user is here: record it (at most hourly) and, after a long absence, pull the new
    videos of followed creators that the fan-out skipped."""
    now = timezone.now()
    prefs, _ = NotificationSettings.objects.get_or_create(user=user)
    last = prefs.last_seen_at
    if last and last > now - timedelta(hours=1):
        return
    if last and last < _inactive_cutoff():
        missed = (
            VideoPublication.objects.filter(creator_id__in=accounts.followee_ids(user.pk), published_at__gt=last)
            .exclude(creator_id__in=accounts.block_partner_ids(user.pk))
            .order_by("-published_at")[: settings.NOTIFICATIONS_PULL_LIMIT]
        )
        visible = [
            (p.video_id, p.creator_id) for p in missed if videos.video_can_view(video_id=p.video_id, viewer=user)
        ]
        for video_id, creator_id in visible:
            _bulk_new_video(video_id=video_id, creator_id=creator_id, recipients=[user.pk])
    NotificationSettings.objects.filter(pk=prefs.pk).update(last_seen_at=now)


# --- inbox -----------------------------------------------------------------------------


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    row = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if row is None:  # someone else's or absent: the same answer
        raise NotFound("No such notification.", code="notification_not_found")
    if not row.is_read:
        Notification.objects.filter(pk=row.pk).update(is_read=True, read_at=timezone.now())
        row.refresh_from_db()
    return row


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, is_read=False).update(is_read=True, read_at=timezone.now())


# --- push ------------------------------------------------------------------------------


def push_subscription_create(*, user: Any, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Subscribe (or refresh) an endpoint. Only public https endpoints (``endpoints.endpoint_check``),
    at most ``WEBPUSH_MAX_SUBSCRIPTIONS_PER_USER`` active ones per user."""
    from django.contrib.auth import get_user_model

    endpoint_check(endpoint)
    limit = settings.WEBPUSH_MAX_SUBSCRIPTIONS_PER_USER
    with transaction.atomic():
        # The user's row serialises their concurrent subscribes, so the cap holds under a race.
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        mine = PushSubscription.objects.filter(user=user, is_active=True)
        if mine.count() >= limit and not mine.filter(endpoint=endpoint).exists():
            raise Conflict(
                f"At most {limit} push subscriptions per account; remove one first.",
                code="push_subscription_limit",
                details={"limit": limit},
            )
        sub, _ = PushSubscription.objects.update_or_create(
            user=user, endpoint=endpoint, defaults={"p256dh": p256dh, "auth": auth, "is_active": True}
        )
    return sub


def push_subscription_delete(*, user: Any, endpoint: str) -> None:
    PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()


def _backoff_s(attempts: int) -> int:
    base = min(settings.WEBPUSH_BACKOFF_MAX_S, settings.WEBPUSH_BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return int(base * random.uniform(0.5, 1.0)) + 1


def _delivery_claim(delivery_id: int) -> tuple[PushDelivery | None, str]:
    """Lease the delivery for one attempt: a short transaction, so no row lock is held while the
    push service answers. Returns the record and the lease token ("" when nothing to send)."""
    with transaction.atomic():
        delivery = (
            PushDelivery.objects.select_for_update()
            .select_related("subscription", "notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (PushDelivery.Status.SENT, PushDelivery.Status.DEAD):
            return delivery, ""
        now = timezone.now()
        if delivery.lease_until is not None and delivery.lease_until > now:
            return delivery, ""  # another worker is sending it right now
        token = uuid.uuid4().hex
        delivery.lease_token, delivery.lease_until = token, now + timedelta(seconds=settings.WEBPUSH_LEASE_S)
        delivery.save(update_fields=["lease_token", "lease_until", "updated_at"])
    return delivery, token


def push_delivery_attempt(*, delivery_id: int) -> PushDelivery | None:
    """One attempt of one push. Sent and dead records are final (a redelivered task is a no-op).

    Returns the record (None if there is none); the caller (task) schedules a retry when its
    status is ``retrying``, and a look at the end of the lease when another worker holds it
    (``lease_until`` still set: nothing was attempted here).
    """
    from apps.notifications.selectors import notifications_render

    delivery, token = _delivery_claim(delivery_id)
    if delivery is None or not token:
        return delivery
    sub = delivery.subscription
    provider = provider_for(sub.provider)
    try:
        if provider is None or not sub.is_active:
            result = PushResult(ok=False, error="no active provider")
        else:
            payload = notifications_render([delivery.notification])[0]
            result = provider.send(  # outside any transaction: holds no lock while it waits
                target=PushTarget(endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth),
                payload={"type": "notification", "notification": payload},
                ttl=settings.WEBPUSH_TTL_S,
            )
    except BaseException:
        # Give the lease back so the task's retry can claim it at once (if the database is what
        # failed, the lease simply runs out).
        with contextlib.suppress(Exception):
            PushDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(lease_token="", lease_until=None)
        raise
    attempts = delivery.attempts + 1  # nobody else writes it while we hold the lease
    changes: dict[str, Any] = {
        "attempts": F("attempts") + 1,
        "last_status_code": result.status_code,
        "last_error": result.error[:255],
        "lease_token": "",
        "lease_until": None,
        "updated_at": timezone.now(),
    }
    if result.ok:
        changes.update(status=PushDelivery.Status.SENT, sent_at=timezone.now(), next_attempt_at=None)
    elif result.retryable and attempts < settings.WEBPUSH_MAX_ATTEMPTS:
        changes.update(
            status=PushDelivery.Status.RETRYING,
            next_attempt_at=timezone.now() + timedelta(seconds=_backoff_s(attempts)),
        )
    else:
        changes.update(status=PushDelivery.Status.DEAD, next_attempt_at=None)
    with transaction.atomic():
        # Only the lease holder records: a worker whose lease ran out and was taken over does not.
        recorded = PushDelivery.objects.filter(pk=delivery.pk, lease_token=token).update(**changes)
        if recorded and result.gone:
            PushSubscription.objects.filter(pk=sub.pk).update(is_active=False)
    delivery.refresh_from_db()
    return delivery


def push_delivery_replay(*, delivery_id: int) -> None:
    """Operator action: give a dead delivery a fresh set of attempts."""
    from apps.notifications.tasks import send_push

    updated = PushDelivery.objects.filter(pk=delivery_id, status=PushDelivery.Status.DEAD).update(
        status=PushDelivery.Status.PENDING, attempts=0, next_attempt_at=None, lease_token="", lease_until=None
    )
    if updated:
        transaction.on_commit(lambda: send_push.delay(delivery_id))
