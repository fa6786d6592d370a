"""Token lifecycle: logout only of one's own sessions, password change (API and admin) ends
every session, refresh tokens stored as SHA-256 digests only."""

import hashlib
import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-passphrase-7"


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}


def login(api: Any, username: str, password: str = PASSWORD) -> Any:
    return api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json")


def change_password(api: Any, tokens: dict[str, str], current: str, new: str, **extra: Any) -> Any:
    body = {"current_password": current, "new_password": new, **extra}
    return api.post("/api/v1/auth/password", body, format="json", **bearer(tokens))


def test_logout_refuses_someone_elses_refresh_token(api):
    UserFactory(username="ana")
    UserFactory(username="ben")
    ana, ben = login(api, "ana").json(), login(api, "ben").json()

    response = api.post("/api/v1/auth/logout", {"refresh": ben["refresh"]}, format="json", **bearer(ana))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_token_owner"
    assert api.post("/api/v1/auth/refresh", {"refresh": ben["refresh"]}, format="json").status_code == 200
    assert api.get("/api/v1/me", **bearer(ana)).status_code == 200


def test_logout_with_a_garbage_refresh_token_is_401_not_500(api):
    UserFactory(username="ana")
    ana = login(api, "ana").json()

    response = api.post("/api/v1/auth/logout", {"refresh": "garbage"}, format="json", **bearer(ana))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_password_change_ends_every_session_and_returns_a_fresh_one(api):
    UserFactory(username="ana")
    phone, laptop = login(api, "ana").json(), login(api, "ana").json()

    response = change_password(api, laptop, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    for old in (phone, laptop):
        assert api.get("/api/v1/me", **bearer(old)).status_code == 401
        assert api.post("/api/v1/auth/refresh", {"refresh": old["refresh"]}, format="json").status_code == 401
    assert api.get("/api/v1/me", **bearer(fresh)).status_code == 200
    assert api.post("/api/v1/auth/refresh", {"refresh": fresh["refresh"]}, format="json").status_code == 200
    assert login(api, "ana").status_code == 401
    assert login(api, "ana", NEW_PASSWORD).status_code == 200


def test_password_change_with_the_wrong_current_password_changes_nothing(api, django_user_model):
    UserFactory(username="ana")
    tokens = login(api, "ana").json()

    response = change_password(api, tokens, "not-it", NEW_PASSWORD)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wrong_password"
    assert django_user_model.objects.get(username="ana").check_password(PASSWORD)
    assert api.get("/api/v1/me", **bearer(tokens)).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"current_password": PASSWORD, "new_password": "123"}, "weak_password"),
        ({"current_password": PASSWORD}, "validation_error"),
        ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "admin": True}, "validation_error"),
    ],
)
def test_password_change_bad_input(api, body, code):
    UserFactory(username="ana")
    tokens = login(api, "ana").json()

    response = api.post("/api/v1/auth/password", body, format="json", **bearer(tokens))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert api.get("/api/v1/me", **bearer(tokens)).status_code == 200


def test_password_change_needs_a_login_and_guesses_are_limited(api):
    UserFactory(username="ana")
    tokens = login(api, "ana").json()
    anonymous = api.post(
        "/api/v1/auth/password", {"current_password": "x", "new_password": NEW_PASSWORD}, format="json"
    )

    guesses = [change_password(api, tokens, f"guess{n}", NEW_PASSWORD).status_code for n in range(6)]

    assert anonymous.status_code == 401
    assert guesses == [403] * 5 + [429]


def test_refresh_tokens_are_stored_only_as_a_digest(api):
    registered = api.post("/api/v1/auth/register", {"username": "ana", "password": PASSWORD}, format="json")
    held = [registered.json()["tokens"]["refresh"], login(api, "ana").json()["refresh"]]
    rotated = api.post("/api/v1/auth/refresh", {"refresh": held[1]}, format="json").json()["refresh"]
    held.append(rotated)
    api.post("/api/v1/auth/logout", {"refresh": rotated}, format="json", **bearer(login(api, "ana").json()))

    stored = set(OutstandingToken.objects.values_list("token", flat=True))

    assert all(len(value) == 64 and "." not in value for value in stored)
    assert {hashlib.sha256(token.encode()).hexdigest() for token in held} <= stored
    assert not set(held) & stored


def test_the_migration_hashes_tokens_stored_in_clear(django_user_model):
    from django.utils import timezone

    user = UserFactory(username="ana")
    row = OutstandingToken.objects.create(
        user=user, jti="legacy-jti", token="header.payload.signature", expires_at=timezone.now()
    )
    migration = importlib.import_module("apps.accounts.migrations.0004_hash_outstanding_refresh_tokens")

    migration.hash_tokens(django_apps, None)
    migration.hash_tokens(django_apps, None)  # twice: a digest is left alone

    row.refresh_from_db()
    assert row.token == hashlib.sha256(b"header.payload.signature").hexdigest()


def test_an_admin_password_change_ends_every_session(api):
    UserFactory(username="ana")
    tokens = login(api, "ana").json()
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(root)
    ana_id = OutstandingToken.objects.first().user_id

    response = browser.post(
        f"/admin/accounts/user/{ana_id}/password/",
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "set_usable_password": "true",
        },
    )

    assert response.status_code == 302
    assert api.get("/api/v1/me", **bearer(tokens)).status_code == 401
    assert api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert login(api, "ana", NEW_PASSWORD).status_code == 200
