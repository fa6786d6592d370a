"""Liveness and readiness probes for load balancers and orchestrators."""

from django.http import HttpRequest, JsonResponse

from apps.core import health


def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def health_ready(request: HttpRequest) -> JsonResponse:
    checks = health.run_checks()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
