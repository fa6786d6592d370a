"""Liveness and readiness probes for load balancers and orchestrators; the API's 404 and 500 pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from apps.core import health
from apps.core.exceptions import error_body


def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def health_ready(request: HttpRequest) -> JsonResponse:
    checks = health.run_checks()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """URLs no route matches (``/api/v1/videos/abc``): the API answers its envelope, not HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return default_server_error(request)
