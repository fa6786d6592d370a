"""Server fixes the schema fuzzer led to: the API now takes exactly what its schema documents."""

import uuid

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_unmatched_api_url_answers_the_error_envelope(api):
    response = api.get("/api/v1/videos/not-a-number")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_an_unmatched_page_outside_the_api_stays_html(api):
    response = api.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/videos", {"caption": 5}, "caption"),  # DRF would store "5"
        ("patch", "/api/v1/me", {"is_private": "true"}, "is_private"),  # DRF would take it as True
        ("patch", "/api/v1/me/settings", {"allow_downloads": 1}, "allow_downloads"),
        ("post", "/api/v1/uploads", {"size": "10", "sha256": "a" * 64}, "size"),
        ("post", "/api/v1/videos", {"visibility": 1}, "visibility"),
    ],
)
def test_a_json_value_of_another_type_than_documented_is_refused(viewer, method, path, body, field):
    response = getattr(client_for(viewer), method)(path, body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][field][0]["code"] == "invalid"


def test_nested_inputs_check_types_too(viewer):
    body = {"endpoint": "https://push.example.test/x", "keys": {"p256dh": 5, "auth": "a"}}

    response = client_for(viewer).post("/api/v1/notifications/push-subscriptions", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["keys"]["p256dh"][0]["code"] == "invalid"


def test_a_value_of_the_documented_type_is_still_taken(viewer):
    response = client_for(viewer).patch("/api/v1/me", {"is_private": True, "bio": ""}, format="json")

    assert response.status_code == 200 and response.json()["is_private"] is True


@pytest.mark.parametrize("limit", ["abc", "0", "-3", "1.5", ""])
@pytest.mark.parametrize("path", ["/api/v1/videos", "/api/v1/notifications", "/api/v1/videos/{video}/comments"])
def test_an_invalid_limit_is_refused_not_ignored(viewer, video_factory, path, limit):
    video = video_factory()

    response = client_for(viewer).get(path.format(video=video.pk), {"limit": limit})

    assert response.status_code == 400
    assert response.json()["error"]["details"]["limit"][0]["code"] == "invalid"


def test_a_limit_above_the_maximum_answers_the_maximum(viewer, video_factory):
    video_factory.create_batch(3)

    response = client_for(viewer).get("/api/v1/videos", {"limit": "1000"})

    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_comment_history_is_a_cursor_page(creator, viewer, video_factory):
    video = video_factory(creator=creator)
    client = client_for(viewer)
    comment = client.post(f"/api/v1/videos/{video.pk}/comments", {"body": "one"}, format="json").json()
    for body in ("two", "three"):
        client.patch(f"/api/v1/comments/{comment['id']}", {"body": body}, format="json")

    first = client.get(f"/api/v1/comments/{comment['id']}/history", {"limit": 1}).json()
    second = client.get(first["next"]).json()

    assert set(first) == {"next", "previous", "results"}
    assert [h["previous_body"] for h in first["results"] + second["results"]] == ["two", "one"]


@pytest.mark.parametrize("kind", [{}, [], 5, None])
def test_a_playback_event_with_an_unhashable_kind_is_refused_alone(viewer, video_factory, kind):
    video = video_factory()
    event = {"event_id": str(uuid.uuid4()), "video_id": video.pk, "kind": kind, "occurred_at": "2026-01-01T00:00:00Z"}

    response = client_for(viewer).post("/api/v1/engagement/playback", {"events": [event]}, format="json")

    assert response.status_code == 200
    assert response.json()["rejected"] == [{"index": 0, "event_id": event["event_id"], "code": "invalid_kind"}]


def test_rejecting_a_follow_request_that_does_not_exist_is_404(creator, viewer):
    response = client_for(creator).post("/api/v1/me/follow-requests/viewer")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "follow_request_not_found"


@pytest.mark.parametrize(
    "endpoint", ["https://push.example.test/a\u008b\b", "https://push.example.test/a b", "https://0/x"]
)
def test_a_url_outside_the_documented_pattern_is_refused(viewer, endpoint):
    # Django's URLValidator lets control characters through; `format: uri` does not
    body = {"endpoint": endpoint, "keys": {"p256dh": "k", "auth": "a"}}

    response = client_for(viewer).post("/api/v1/notifications/push-subscriptions", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["endpoint"][0]["code"] == "invalid"


def test_a_real_push_endpoint_is_still_taken(viewer):
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk-x_y%3D?a=1"
    body = {"endpoint": endpoint, "keys": {"p256dh": "k", "auth": "a"}}

    response = client_for(viewer).post("/api/v1/notifications/push-subscriptions", body, format="json")

    assert response.status_code == 201 and response.json()["endpoint"] == endpoint
