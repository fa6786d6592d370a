"""Login: a per-network budget before any hashing, django-axes lockout per account and per
network for the API and the admin login alike."""

from typing import Any

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(api: Any, username: str, password: str, **extra: Any) -> Any:
    return api.post("/api/v1/auth/login", {"username": username, "password": password}, format="json", **extra)


@pytest.fixture
def hasher_calls(monkeypatch: Any) -> list[str]:
    """Every use of the password hasher (tests hash with MD5; production with Argon2)."""
    calls: list[str] = []
    encode, verify = MD5PasswordHasher.encode, MD5PasswordHasher.verify

    def counted_encode(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("encode")
        return encode(self, *args, **kwargs)

    def counted_verify(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("verify")
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(MD5PasswordHasher, "verify", counted_verify)
    return calls


def test_past_the_network_budget_a_login_is_refused_without_hashing(api, settings, hasher_calls):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": {"per_user": None, "per_network": 5, "window_s": 300}}
    # Unknown usernames: Django still hashes the password for them (timing), which is the cost.
    answers = [login(api, f"ghost{n}", "guess") for n in range(5)]
    hashed = len(hasher_calls)

    refused = login(api, "ghost99", "guess")

    assert [a.json()["error"]["code"] for a in answers] == ["invalid_credentials"] * 5
    assert hashed == 5
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["scope"] == "login"
    assert int(refused["Retry-After"]) > 0
    assert len(hasher_calls) == hashed  # the sixth attempt never reached the hasher


def test_ten_failures_lock_the_account_from_every_network(api, hasher_calls):
    UserFactory(username="ana")
    failures = [login(api, "ana", "wrong", REMOTE_ADDR=f"198.51.100.{n}") for n in range(10)]
    hashed = len(hasher_calls)

    locked = login(api, "ANA", PASSWORD, REMOTE_ADDR="203.0.113.50")  # right password, new network

    assert [f.json()["error"]["code"] for f in failures] == ["invalid_credentials"] * 10
    assert locked.status_code == 429
    assert locked.json()["error"] == {
        "code": "rate_limited",
        "message": "Too many failed logins; try again later.",
        "details": {"scope": "login_lockout"},
    }
    assert int(locked["Retry-After"]) == 900
    assert len(hasher_calls) == hashed  # a locked-out login is not hashed either


def test_ten_failures_lock_the_network_for_every_account_and_a_spoofed_header_does_not_help(api):
    UserFactory(username="ben")
    for n in range(10):
        login(api, f"ghost{n}", "guess", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}")

    locked = login(api, "ben", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.8.200")
    elsewhere = login(api, "ben", PASSWORD, REMOTE_ADDR="203.0.113.51")

    assert locked.status_code == 429
    assert locked.json()["error"]["details"]["scope"] == "login_lockout"
    assert elsewhere.status_code == 200


def test_the_admin_login_is_locked_out_too():
    UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    for _ in range(10):
        failed = browser.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert failed.status_code in (200, 429)

    locked = browser.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302  # still sent to the login page


def test_the_admin_login_still_works_below_the_limit():
    UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = Client()
    browser.post("/admin/login/", {"username": "root", "password": "wrong"})

    response = browser.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 302
    assert browser.get("/admin/").status_code == 200
