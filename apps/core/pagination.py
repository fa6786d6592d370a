"""Cursor pagination for every list: stable under inserts, opaque cursors."""

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request

from apps.core.errors import ValidationFailed

MAX_LIMIT = 100


def page_limit(request: Request, *, default: int, name: str = "limit", maximum: int = MAX_LIMIT) -> int:
    """``?limit=``: a positive integer (larger values count as ``maximum``). Anything else is a
    400, not a silent fallback to the default: what the schema documents is what is taken."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ValidationFailed(details={name: [{"code": "invalid", "message": "A positive integer."}]})
    return min(int(raw), maximum)


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT

    def get_page_size(self, request: Request) -> int:
        return page_limit(request, default=self.page_size, name=self.page_size_query_param, maximum=self.max_page_size)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # `next`/`previous` are links here, but some lists (comments ranked "top") answer a bare
        # opaque cursor: document a nullable string, and all three keys as always present.
        link = {"type": "string", "nullable": True, "description": "The next (previous) page, or null."}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"Page size; at most {self.max_page_size} are answered."
        return parameters
