"""The OpenAPI schema (apps/core/schema.py): generated without warnings, and true to the API.

The fuzzer (test_openapi_fuzz.py) finds where schema and server disagree; these fast tests pin
the mechanisms down and drive the API for the server-side fixes the fuzzer led to.
"""

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import client_for

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items() if method in METHODS
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def json_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """A component as plain JSON Schema (OpenAPI 3.0's `nullable` and local refs resolved)."""

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return convert(resolve(schema, node))
        out = {key: convert(value) for key, value in node.items() if key not in ("nullable", "readOnly", "writeOnly")}
        if node.get("nullable"):
            out = {"anyOf": [out, {"type": "null"}]}
        return out

    return convert(schema["components"]["schemas"][name])


def test_schema_generates_and_validates_without_warnings(tmp_path: Path) -> None:
    # a warning (an unguessable serializer, a name clash, an invalid schema) fails the build
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0")


def test_every_error_response_is_the_error_envelope(schema):
    for path, method, op in operations(schema):
        errors = {code: response for code, response in op["responses"].items() if int(code) >= 400}
        assert "503" in errors, (method, path)
        for code, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
                method,
                path,
                code,
            )
    envelope = schema["components"]["schemas"]["Error"]
    assert envelope["required"] == ["error"]
    assert envelope["properties"]["error"]["required"] == ["code", "message", "details"]


def test_statuses_follow_what_an_operation_takes(schema):
    ops = {(method, path): op for path, method, op in operations(schema)}

    write = ops[("post", "/api/v1/videos")]["responses"]
    assert {"400", "401", "403", "409", "415", "429", "503"} <= set(write)
    assert "Retry-After" in write["429"]["headers"]
    by_id = ops[("get", "/api/v1/videos/{video_id}")]["responses"]
    assert {"400", "404", "503"} <= set(by_id) and "429" not in by_id and "415" not in by_id
    login = ops[("post", "/api/v1/auth/login")]["responses"]
    assert "401" in login  # declared with ERROR: no authenticators, but bad credentials
    assert "409" in ops[("get", "/api/v1/videos/{video_id}/playback")]["responses"]  # video_not_ready
    assert "413" in ops[("post", "/api/v1/uploads")]["responses"]


@pytest.mark.parametrize(
    ("method", "path", "item"),
    [
        ("get", "/api/v1/notifications", "NotificationOutput"),
        ("get", "/api/v1/videos/{video_id}/comments", "CommentOutput"),
        ("get", "/api/v1/comments/{comment_id}/history", "CommentEditOutput"),
        ("get", "/api/v1/videos", "VideoOutput"),
    ],
)
def test_lists_are_documented_as_cursor_pages(schema, method, path, item):
    op = schema["paths"][path][method]
    page = resolve(schema, op["responses"]["200"]["content"]["application/json"]["schema"])

    assert page["required"] == ["next", "previous", "results"]
    assert page["properties"]["results"] == {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    assert "format" not in page["properties"]["next"]  # a "top" comments page answers a bare cursor
    assert {p["name"] for p in op["parameters"] if p["in"] == "query"} >= {"cursor", "limit"}


def test_strict_inputs_refuse_unknown_fields_and_state_text_rules(schema):
    register = schema["components"]["schemas"]["RegisterInputRequest"]

    assert register["additionalProperties"] is False
    assert register["properties"]["username"]["pattern"] == "^[A-Za-z0-9_.]{2,30}$"
    assert "StrictInputSerializer" not in register.get("description", "") and "description" not in register
    comment = schema["components"]["schemas"]["CommentEditInputRequest"]
    assert comment["required"] == ["body"]  # PATCH of a comment replaces its body


def test_partial_patch_and_delete_bodies(schema):
    patched = schema["paths"]["/api/v1/me"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    unsubscribe = schema["paths"]["/api/v1/notifications/push-subscriptions"]["delete"]

    assert patched == {"$ref": "#/components/schemas/PatchedProfileUpdateInputRequest"}
    assert unsubscribe["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PushUnsubscribeInputRequest"
    }


@pytest.mark.django_db
def test_a_blank_email_is_valid_by_the_schema(schema, user_factory):
    # Given an account without an e-mail address
    user = user_factory(username="noemail", email="")

    # When it reads its profile
    body = client_for(user).get("/api/v1/me").json()

    # Then the answer matches the documented schema ("" is no `format: email`)
    assert body["email"] == ""
    jsonschema.validate(body, json_schema(schema, "MeOutput"), format_checker=jsonschema.FormatChecker())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            body | {"email": "not-an-address"},
            json_schema(schema, "MeOutput"),
            format_checker=jsonschema.FormatChecker(),
        )


def test_url_inputs_state_what_the_server_takes(schema):
    push = schema["components"]["schemas"]["PushSubscriptionInputRequest"]["properties"]["endpoint"]
    unsubscribe = schema["components"]["schemas"]["PushUnsubscribeInputRequest"]["properties"]["endpoint"]

    assert push["pattern"].startswith("^[Hh][Tt][Tt][Pp][Ss]://")  # push services are https
    assert unsubscribe["pattern"].startswith("^(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp][Ss]?)://")
