"""django-axes hooks: how a login attempt names its account, and what a lockout answers."""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.exceptions import error_body


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def login_allowed(request: HttpRequest, username: str) -> bool:
    """False while the account or the client network is locked out (no password is hashed)."""
    return AxesProxyHandler.is_allowed(request, {"username": username})


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Usernames are case-insensitive: "Ana" and "ana" are one account to the lockout."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.lower() if isinstance(username, str) else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with Retry-After for the admin form. The API login answers for itself (the failure
    that reaches the limit is still ``invalid_credentials``; the next attempt is refused)."""
    if request.path.startswith("/api/") and original_response is not None:
        return original_response
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("rate_limited", "Too many failed logins; try again later.", {"scope": "login_lockout"}),
            status=429,
        )
    else:
        response = HttpResponse("Too many failed logins; try again later.", status=429, content_type="text/plain")
    response["Retry-After"] = str(lockout_seconds())
    return response
