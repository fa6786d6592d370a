"""One DRF exception handler: every error leaves as {"error": {"code", "message", "details"}}."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError, RateLimited, ServiceUnavailable

# DRF's own default codes are stable already; two are renamed for clarity.
_RENAMED_CODES = {"parse_error": "malformed_json", "throttled": "rate_limited", "invalid": "validation_error"}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        if isinstance(exc, (RateLimited, ServiceUnavailable)):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: let Django log it and answer 500
    codes = exc.get_codes() if isinstance(exc, drf.APIException) else "error"
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
    if isinstance(getattr(exc, "detail", None), dict) and "code" in exc.detail:
        code = str(exc.detail["code"])  # simplejwt: {"detail": ..., "code": "token_not_valid"}
    code = _RENAMED_CODES.get(code, code)
    if isinstance(exc, drf.ValidationError):
        response.data = error_body("validation_error", "The request is invalid.", _field_errors(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else ""
        if isinstance(detail, dict):  # simplejwt puts structured details in; keep the message
            detail = detail.get("detail", "Authentication failed.")
        response.data = error_body(code, str(detail))
    return response


def _field_errors(detail: Any) -> dict[str, Any]:
    """{"field": [{"code": "max_length", "message": "..."}]}: a stable code per problem."""
    if isinstance(detail, dict):
        return {key: _error_list(value) for key, value in detail.items()}
    return {"non_field_errors": _error_list(detail)}


def _error_list(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _error_list(item) for key, item in value.items()}
    if isinstance(value, list):
        if all(isinstance(item, drf.ErrorDetail) for item in value):
            return [{"code": item.code, "message": str(item)} for item in value]
        return [_error_list(item) for item in value]
    if isinstance(value, drf.ErrorDetail):
        return [{"code": value.code, "message": str(value)}]
    return value
