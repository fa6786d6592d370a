"""The OpenAPI schema, made true by rule rather than by per-view annotations.

``ReelhouseAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to every operation the
error responses it can answer, each with the one error envelope of ``apps/core/exceptions.py``::

    400  the operation takes any input: a body, query or path parameters (validation_error,
         malformed_json, or a service's refusal such as cannot_follow_self)
    401  authentication applies (not_authenticated, token_not_valid, token_revoked)
    403  authentication applies (permission_denied, blocked, private_account, CSRF on sessions)
    404  the path names something (an id, a username, a name) or the list takes a cursor
    409  a write (the request conflicts with the current state)
    415  the operation takes a body (unsupported_media_type)
    429  a write (rate limits, with Retry-After)
    503  every operation: each touches PostgreSQL and Redis (with Retry-After)

A view declares any further error status by naming it in ``extend_schema(responses=...)`` with
``ERROR`` (or any response without a body); the envelope is filled in here. It also:

- marks bodies of ``StrictInputSerializer`` with ``additionalProperties: false`` (unknown fields
  are refused as ``unknown_field``), so a fuzzer never sends what the server must refuse;
- documents every list answered by an ``APIView`` (a ``many=True`` response on GET) with the
  cursor envelope of ``apps/core/pagination.py`` and its ``cursor``/``limit`` parameters;
- lets an e-mail field that may be blank say so (``format: email`` refuses ``""``);
- states the text, URL, PATCH, DELETE-body and per-item rules listed in docs/api-schema.md.
"""

import inspect
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.fields import empty

from apps.core.pagination import CursorPagination
from apps.core.serializers import URL_PATTERN, StrictInputSerializer

# Declare an extra error status of one operation: ``extend_schema(responses={..., 401: ERROR})``.
ERROR = OpenApiResponse(description="An error, in the error envelope.")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_DESCRIPTIONS = {
    400: "The request is invalid (`validation_error` with field details, `malformed_json`, or a specific code).",
    401: "Not authenticated, or the token is invalid or revoked.",
    403: "Authenticated but not allowed (`permission_denied`, `blocked`, `private_account`, …).",
    404: "Not found, or not visible to you; also an invalid cursor.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "The body is not `application/json` (or the media type the operation takes).",
    429: "Too many requests (`rate_limited`); retry after `Retry-After` seconds.",
    503: "A backing service is unavailable (`service_unavailable`, `auth_unavailable`); retry after `Retry-After`.",
}
_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."},
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a stable machine-readable `code`, a human `message` and `details`.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": 'For `validation_error`: `{"field": [{"code", "message"}]}`.',
                },
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}


def error_statuses(*, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from what it takes (see the module docstring)."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in params)
    has_path = any(p.get("in") == "path" for p in params)
    has_cursor = any(p.get("in") == "query" and p.get("name") == "cursor" for p in params)
    auth = any(requirement for requirement in operation.get("security", []))

    statuses = {503}
    if has_body or has_query or has_path:
        statuses.add(400)
    if auth:
        statuses |= {401, 403}
    if has_path or has_cursor:
        statuses.add(404)
    if method in WRITE_METHODS:
        statuses |= {409, 429}
    if has_body:
        statuses.add(415)
    return statuses


class ReelhouseAutoSchema(AutoSchema):
    def get_operation(self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any) -> Any:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in error_statuses(method=self.method, operation=operation):
            responses.setdefault(str(status), {"description": ""})
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400 and "content" not in response:
                responses[code] = self._error_response(int(code), response.get("description", ""))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_response(self, status: int, description: str) -> dict[str, Any]:
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        response: dict[str, Any] = {
            "description": (description if description != ERROR.description else "")
            or _DESCRIPTIONS.get(status, "An error, in the error envelope."),
            "content": {"application/json": {"schema": component.ref}},
        }
        if status in (429, 503):
            response["headers"] = _RETRY_AFTER
        return response

    # --- lists answered by a plain APIView are cursor-paginated like every other list ---------

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET" and self._declares_list():
            return CursorPagination()
        return paginator

    def _declares_list(self) -> bool:
        serializer = self.get_response_serializers()
        if isinstance(serializer, dict):
            serializer = serializer.get(200, serializer.get("200"))
        return isinstance(serializer, serializers.ListSerializer)

    # --- request bodies: what the server really takes ------------------------------------------

    def _get_request_body(self, direction: Any = "request") -> Any:
        # DELETE may take a JSON body here (a push subscription's endpoint); spectacular documents
        # bodies of PUT/PATCH/POST only, so describe it like a POST when a strict input is declared.
        if self.method == "DELETE" and isinstance(force_instance(self._declared_request()), StrictInputSerializer):
            return self._as_method("POST", super()._get_request_body, direction)
        return super()._get_request_body(direction)

    def _declared_request(self) -> Any:
        """The ``request=`` of this operation's ``extend_schema``, if any (without guessing one,
        which spectacular reports as an error for a plain APIView)."""
        for klass in type(self).__mro__:
            function = klass.__dict__.get("get_request_serializer")
            if function is None or "request" not in function.__code__.co_freevars:
                continue
            value = function.__closure__[function.__code__.co_freevars.index("request")].cell_contents
            if value is not empty:
                return value
        return None

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        # PATCH is partial unless the input says it is not (`patch_is_partial = False`).
        if self.method == "PATCH" and getattr(force_instance(serializer), "patch_is_partial", True) is False:
            return self._as_method("PUT", super()._get_request_for_media_type, serializer, direction)
        return super()._get_request_for_media_type(serializer, direction)

    def _as_method(self, method: str, function: Any, *args: Any) -> Any:
        original, self.method = self.method, method
        try:
            return function(*args)
        finally:
            self.method = original

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        # Field hooks below need the direction (text rules apply to what the server is sent).
        outer, self._direction = getattr(self, "_direction", None), direction
        try:
            return super()._map_basic_serializer(serializer, direction)
        finally:
            self._direction = outer

    def _map_serializer(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if schema.get("description") == inspect.getdoc(StrictInputSerializer):
            del schema["description"]  # the base class's docstring says nothing about this input
        if direction == "request" and isinstance(serializer, StrictInputSerializer) and schema.get("type") == "object":
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer):
            if field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if getattr(field.child, "refused_alone", False):
                # The server checks each item on its own and answers a bad one in the body (200),
                # so any item makes a valid request; the component still says what a good one is.
                schema["items"] = {"anyOf": [schema["items"], {"description": "Anything else is refused alone."}]}
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if "oneOf" in schema and schema["oneOf"][-1] == {"type": "string", "maxLength": 0}:
            # spectacular's "X or blank" for allow_blank: "" may match X too, which oneOf forbids.
            schema["anyOf"] = schema.pop("oneOf")
        target = schema["anyOf"][0] if "anyOf" in schema else schema
        if target.get("format") == "email" and _blank_allowed(field) and "anyOf" not in schema:
            # An optional address answers "", which is not a valid "email".
            target.pop("format")
            schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]
        if isinstance(field, serializers.DictField) and "openapi_keys" in field.style:
            # A map with a closed set of keys: say which.
            value = schema.pop("additionalProperties", {})
            schema["properties"] = {key: value for key in field.style["openapi_keys"]}
            schema["additionalProperties"] = False
        request = getattr(self, "_direction", None) == "request"
        if request and isinstance(field, serializers.URLField) and "pattern" not in target:
            # What the server takes (apps/core/serializers.py): fewer URLs than `format: uri`.
            target["pattern"] = URL_PATTERN
        if request and isinstance(field, serializers.CharField) and "pattern" not in target:
            target["pattern"] = _text_pattern(field)
        target.update(field.style.get("openapi", {}))  # constraints the server checks with codes of its own


def _text_pattern(field: serializers.CharField) -> str:
    """DRF refuses NUL characters in text, and (trimming first) a blank where blank is not allowed."""
    if getattr(field, "allow_blank", False) or not getattr(field, "trim_whitespace", True):
        return r"^[^\x00]*$"
    return r"^[^\x00]*[^\s\x00][^\x00]*$"


def _blank_allowed(field: Any) -> bool:
    if getattr(field, "allow_blank", False):
        return True
    model_field = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(model_field, "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except Exception:  # not a model field (a method, a property): nothing to say
        return False
