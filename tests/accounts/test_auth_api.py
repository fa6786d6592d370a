import pytest

from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def register(api, username="ana", password=PASSWORD, **extra):
    return api.post("/api/v1/auth/register", {"username": username, "password": password, **extra}, format="json")


def test_register_returns_profile_and_working_tokens(api):
    response = register(api, display_name="Ana")

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "ana"
    assert body["user"]["follower_count"] == 0
    me = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['tokens']['access']}")
    assert me.status_code == 200
    assert me.json()["display_name"] == "Ana"


def test_duplicate_username_is_a_conflict_whatever_the_case(api):
    register(api, username="ana")

    response = register(api, username="ANA")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "username_taken"


def test_weak_password_is_refused_and_nothing_is_created(api, django_user_model):
    response = register(api, password="123")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "weak_password"
    assert not django_user_model.objects.filter(username="ana").exists()


def test_invalid_username_is_a_field_error(api):
    response = register(api, username="no spaces!")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["username"][0]["code"] == "invalid_username"


def test_login_refresh_and_rotation(api):
    register(api)

    login = api.post("/api/v1/auth/login", {"username": "ANA", "password": PASSWORD}, format="json")
    assert login.status_code == 200
    refresh = login.json()["refresh"]
    rotated = api.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != refresh
    # The old refresh token was blacklisted by the rotation.
    reused = api.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"


def test_wrong_password_and_lockout(api):
    register(api)

    codes = [
        api.post("/api/v1/auth/login", {"username": "ana", "password": "wrong"}, format="json").json()["error"]["code"]
        for _ in range(11)
    ]

    assert codes[:10] == ["invalid_credentials"] * 10
    assert codes[10] == "rate_limited"


def test_logout_revokes_refresh_and_current_access_token(api):
    tokens = register(api).json()["tokens"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}

    response = api.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json", **auth)

    assert response.status_code == 204
    assert api.get("/api/v1/me", **auth).json()["error"]["code"] == "token_revoked"
    assert api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_all_revokes_every_session(api):
    first = register(api).json()["tokens"]
    second = api.post("/api/v1/auth/login", {"username": "ana", "password": PASSWORD}, format="json").json()

    api.post("/api/v1/auth/logout-all", HTTP_AUTHORIZATION=f"Bearer {second['access']}")

    for tokens in (first, second):
        assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 401
        assert api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    fresh = api.post("/api/v1/auth/login", {"username": "ana", "password": PASSWORD}, format="json").json()
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {fresh['access']}").status_code == 200


def test_garbage_token_is_401_not_500(api):
    response = api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_profile_update_rejects_unknown_and_read_only_fields(viewer):
    client = client_for(viewer)

    response = client.patch("/api/v1/me", {"bio": "hi", "follower_count": 10**6}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["follower_count"][0]["code"] == "unknown_field"
    viewer.refresh_from_db()
    assert viewer.bio == "" and viewer.follower_count == 0


def test_profile_and_settings_update(viewer):
    client = client_for(viewer)

    profile = client.patch("/api/v1/me", {"bio": "dancer", "display_name": "V"}, format="json")
    settings = client.patch("/api/v1/me/settings", {"default_visibility": "followers"}, format="json")

    assert profile.json()["bio"] == "dancer"
    assert settings.json()["default_visibility"] == "followers"
    assert client.post("/api/v1/videos", {"caption": "x"}, format="json").json()["visibility"] == "followers"


def test_avatar_must_be_a_real_image(viewer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(viewer)
    fake = SimpleUploadedFile("a.png", b"not an image", content_type="image/png")

    response = client.put("/api/v1/me/avatar", {"avatar": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "avatar_invalid"


def test_avatar_upload_stores_the_image(viewer):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    client = client_for(viewer)

    response = client.put(
        "/api/v1/me/avatar", {"avatar": SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["avatar"]
