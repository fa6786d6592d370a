"""Web Push: subscriptions (public https endpoints only, capped per user) and one leased
attempt per delivery, bounded retries with backoff, an operator's replay."""

import contextlib
import random
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.errors import Conflict
from apps.notifications.endpoints import endpoint_check
from apps.notifications.models import (
    PushDelivery,
    PushSubscription,
)
from apps.notifications.push import PushResult, PushTarget, provider_for

FINAL_DELIVERY = frozenset({PushDelivery.Status.SENT, PushDelivery.Status.DEAD})


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
