"""Liveness and readiness probes for load balancers and orchestrators.

``live`` is public and says nothing but "ok". ``ready`` answers everyone with the status and
200/503; which check failed, and the error text, only for staff or ``X-Health-Token``
(settings.HEALTH_TOKEN): error text names hosts, ports and driver internals."""

import hmac

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from apps.core import health


def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _may_see_detail(request: HttpRequest) -> bool:
    token = settings.HEALTH_TOKEN
    sent = request.headers.get("X-Health-Token", "")
    if token and sent and hmac.compare_digest(token.encode(), sent.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def health_ready(request: HttpRequest) -> JsonResponse:
    checks = health.run_checks()
    ok = all(check["ok"] for check in checks.values())
    body: dict = {"status": "ok" if ok else "unavailable"}
    if _may_see_detail(request):
        body["checks"] = checks
    response = JsonResponse(body, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response
