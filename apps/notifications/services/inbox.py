"""The inbox's writes: marking read."""

from typing import Any

from django.utils import timezone

from apps.core.errors import NotFound
from apps.notifications.models import (
    Notification,
)


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
