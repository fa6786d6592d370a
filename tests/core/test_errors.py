import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_method_not_allowed_has_envelope(viewer):
    response = client_for(viewer).put("/api/v1/auth/login", {}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unsupported_media_type(viewer):
    response = client_for(viewer).post("/api/v1/videos", data="caption=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_json_body_that_is_not_an_object(viewer):
    response = client_for(viewer).post("/api/v1/videos", data="[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
