"""Web Push against a local receiver (loopback only) that checks VAPID and decrypts the payload."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid01, b64urlencode

from apps.notifications import services, tasks
from apps.notifications.models import Notification, PushDelivery, PushSubscription

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Receiver:
    """A push service stand-in: answers with ``statuses`` in turn (then 201), keeps what it decrypted."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh, self.auth_secret = b64(public), os.urandom(16)
        self.statuses = list(statuses or [])
        self.received: list[dict[str, Any]] = []
        self.on_request: Any = None  # called in the server thread while the sender waits
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                plain = http_ece.decrypt(
                    body, private_key=receiver.private_key, auth_secret=receiver.auth_secret, version="aes128gcm"
                )
                receiver.received.append(
                    {
                        "payload": json.loads(plain),
                        "encoding": self.headers["Content-Encoding"],
                        "authorization": self.headers["Authorization"],
                        "ttl": self.headers["TTL"],
                    }
                )
                if receiver.on_request is not None:
                    receiver.on_request()
                status = receiver.statuses.pop(0) if receiver.statuses else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}/push/abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vapid(settings: Any) -> Vapid01:
    key = Vapid01()
    key.generate_keys()
    raw = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64urlencode(raw)
    settings.WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS = True
    return key


def like_event(actor, creator, video) -> dict[str, Any]:
    return {"kind": "like", "actor_id": actor.pk, "recipient_id": creator.pk, "video_id": video.pk, "event_id": "l:1"}


def subscribe(user, receiver: Receiver) -> PushSubscription:
    return services.push_subscription_create(
        user=user, endpoint=receiver.endpoint, p256dh=receiver.p256dh, auth=b64(receiver.auth_secret)
    )


def test_a_push_is_encrypted_signed_and_recorded_once(creator, viewer, video_factory, vapid):
    video = video_factory(creator=creator)
    with Receiver() as receiver:
        subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])
        delivery = PushDelivery.objects.get()

        assert tasks.send_push(delivery.pk) == "sent"
        assert tasks.send_push(delivery.pk) == "sent"  # redelivered task: no second push

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["encoding"] == "aes128gcm"
    assert got["authorization"].startswith("vapid t=")
    assert got["payload"]["notification"]["text"] == "viewer liked your video"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 201)


def test_failures_are_retried_then_the_delivery_is_dead(creator, viewer, video_factory, vapid, settings, monkeypatch):
    settings.WEBPUSH_MAX_ATTEMPTS = 3
    monkeypatch.setattr(tasks.send_push, "apply_async", lambda *a, **k: None)
    video = video_factory(creator=creator)
    with Receiver(statuses=[503, 429, 500]) as receiver:
        subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])
        delivery = PushDelivery.objects.get()

        statuses = [tasks.send_push(delivery.pk) for _ in range(4)]

    assert statuses == ["retrying", "retrying", "dead", "dead"]
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (3, 500)


def test_a_gone_subscription_is_deactivated(creator, viewer, video_factory, vapid):
    video = video_factory(creator=creator)
    with Receiver(statuses=[410]) as receiver:
        sub = subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])
        assert tasks.send_push(PushDelivery.objects.get().pk) == "dead"

    sub.refresh_from_db()
    assert sub.is_active is False


def test_muted_or_push_disabled_users_get_no_delivery(creator, viewer, video_factory, vapid):
    video = video_factory(creator=creator)
    services.settings_update(user=creator, kinds={"like": {"push": False}})
    with Receiver() as receiver:
        subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])

    assert Notification.objects.count() == 1
    assert PushDelivery.objects.count() == 0


def test_subscriptions_must_be_public_https_endpoints(creator):
    from tests.conftest import client_for

    response = client_for(creator).post(
        "/api/v1/notifications/push-subscriptions",
        {"endpoint": "http://127.0.0.1:9/x", "keys": {"p256dh": "abc", "auth": "def"}},
        format="json",
    )

    assert response.status_code == 400
    assert PushSubscription.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_push_service_answers(creator, viewer, video_factory, vapid):
    from django.db import connection, transaction

    video = video_factory(creator=creator)
    seen: dict[str, Any] = {}
    with Receiver() as receiver:
        subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])
        delivery = PushDelivery.objects.get()

        def meanwhile() -> None:  # another worker, on its own connection, during the HTTP call
            try:
                with transaction.atomic():
                    row = PushDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
                    seen["leased"] = row.lease_until is not None
                seen["redelivered"] = services.push_delivery_attempt(delivery_id=delivery.pk).attempts
            except Exception as exc:
                seen["error"] = repr(exc)
            finally:
                connection.close()

        receiver.on_request = meanwhile
        assert tasks.send_push(delivery.pk) == "sent"

    # Not locked; the lease turns the redelivered attempt away (it sends nothing, changes nothing).
    assert seen == {"leased": True, "redelivered": 0}
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.lease_until) == ("sent", 1, None)


def test_a_lease_left_by_a_killed_worker_is_taken_over_once_it_expires(
    creator, viewer, video_factory, vapid, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    looks: list[int] = []
    monkeypatch.setattr(tasks.send_push, "apply_async", lambda args, countdown: looks.append(countdown))
    video = video_factory(creator=creator)
    with Receiver() as receiver:
        subscribe(creator, receiver)
        tasks.record_events([like_event(viewer, creator, video)])
        delivery = PushDelivery.objects.get()
        # A worker claimed it and died before recording anything.
        PushDelivery.objects.filter(pk=delivery.pk).update(
            lease_token="dead-worker", lease_until=timezone.now() + timedelta(seconds=30)
        )
        while_leased = tasks.send_push(delivery.pk)
        PushDelivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        after_expiry = tasks.send_push(delivery.pk)

    assert (while_leased, after_expiry) == ("leased", "sent")
    assert len(looks) == 1 and 29 <= looks[0] <= 31  # a look when the lease ends
    assert len(receiver.received) == 1
