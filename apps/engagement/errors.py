"""Engagement's errors (of the apps/core/errors.py hierarchy)."""

from apps.core.errors import ServiceUnavailable


class EngagementUnavailable(ServiceUnavailable):
    code = "engagement_unavailable"
    message = "Engagement is temporarily unavailable; retry shortly."
