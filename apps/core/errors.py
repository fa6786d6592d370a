"""The one error hierarchy of the platform: services raise these, the API renders them.

Every error has a stable machine-readable ``code`` that clients may branch on.
"""

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, details: dict[str, Any] | None = None):
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "validation_error"
    message = "The request is invalid."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    message = "You may not do this."


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class RateLimited(ApplicationError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    message = "A backing service is unavailable; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int = 5, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
