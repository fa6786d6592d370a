"""Delivery of recorded notifications: push delivery records (sent after commit) and the
live message to recipients with a socket open."""

from collections import defaultdict

from django.db import transaction

from apps.notifications import realtime
from apps.notifications.models import (
    Notification,
    NotificationSettings,
    PushDelivery,
    PushSubscription,
)
from apps.notifications.services.preferences import is_muted, kind_enabled


def queue_pushes(notification_ids: list[int], prefs_by_user: dict[int, NotificationSettings]) -> None:
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
