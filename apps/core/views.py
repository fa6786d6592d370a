"""Liveness and readiness probes for load balancers and orchestrators; the API's 404 and 500 pages.

``live`` is public and says nothing but "ok". ``ready`` answers everyone with the status and
200/503; which check failed, and the error text, only for staff or ``X-Health-Token``
(settings.HEALTH_TOKEN): error text names hosts, ports and driver internals."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from apps.core import health
from apps.core.exceptions import error_body


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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """URLs no route matches (``/api/v1/videos/abc``): the API answers its envelope, not HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return default_server_error(request)
