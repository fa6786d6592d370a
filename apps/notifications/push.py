"""Push channels behind one small interface. Web Push (RFC 8030 transport, RFC 8291 aes128gcm
payload encryption, RFC 8292 VAPID) goes through pywebpush; FCM/APNs can implement the same
``PushProvider`` protocol and register in ``PROVIDERS``."""

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from django.conf import settings
from pywebpush import WebPushException, webpush

from apps.notifications.endpoints import UNRESOLVABLE, EndpointRefused, PushSession, endpoint_check

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str = ""
    auth: str = ""


@dataclass(frozen=True)
class PushResult:
    ok: bool
    status_code: int | None = None
    retryable: bool = False
    gone: bool = False  # the subscription no longer exists: deactivate it
    error: str = ""


class PushProvider(Protocol):
    name: str

    def send(self, *, target: PushTarget, payload: dict[str, Any], ttl: int) -> PushResult: ...


def classify_status(status: int | None, error: str = "") -> PushResult:
    if status is not None and 200 <= status < 300:
        return PushResult(ok=True, status_code=status)
    if status in (404, 410):
        return PushResult(ok=False, status_code=status, gone=True, error=error or "subscription gone")
    retryable = status is None or status == 429 or status >= 500
    return PushResult(ok=False, status_code=status, retryable=retryable, error=error[:255])


class WebPushProvider:
    name = "webpush"

    def send(self, *, target: PushTarget, payload: dict[str, Any], ttl: int) -> PushResult:
        # Checked again at every send: the name may resolve elsewhere since it was subscribed.
        try:
            endpoint_check(target.endpoint)
        except EndpointRefused as exc:
            # A name that does not resolve right now may be a DNS hiccup; anything else is final.
            unresolvable = exc.code == UNRESOLVABLE
            return PushResult(ok=False, retryable=unresolvable, gone=not unresolvable, error=f"refused: {exc.code}")
        session = PushSession()
        try:
            response = webpush(
                subscription_info={"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
                data=json.dumps(payload, separators=(",", ":")),
                vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT},
                content_encoding="aes128gcm",
                ttl=ttl,
                timeout=settings.WEBPUSH_TIMEOUT_S,
                requests_session=session,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            return classify_status(status, str(exc).splitlines()[0])
        except requests.RequestException as exc:
            return classify_status(None, f"network: {type(exc).__name__}")
        finally:
            session.close()
        return classify_status(response.status_code)


PROVIDERS: dict[str, PushProvider] = {"webpush": WebPushProvider()}


def provider_for(name: str) -> PushProvider | None:
    return PROVIDERS.get(name)
