"""Authentication reads its user from a Redis snapshot (apps/accounts/identity.py), and every
change that matters to it (deactivation, log out everywhere, logout) takes effect at once."""

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts import identity
from apps.accounts.models import User
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def user_queries(queries):
    return [q["sql"] for q in queries if "accounts_user" in q["sql"]]


@pytest.mark.urls("tests.benchmarks.urls")
def test_a_session_authenticates_without_a_query_from_its_first_request(viewer):
    client = client_for(viewer)  # issuing the tokens snapshots the account

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/bench/noop")

    assert response.status_code == 200
    assert [q["sql"] for q in queries] == []


def test_profile_is_complete_although_authentication_cached_only_a_few_columns(viewer):
    viewer.bio = "hello"
    viewer.save()
    client = client_for(viewer)
    client.get("/api/v1/me")  # fills the snapshot

    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/me").json()

    assert body["bio"] == "hello" and body["username"] == "viewer"
    assert len(user_queries(queries)) <= 1  # the other columns, loaded together


def test_deactivation_refuses_a_cached_token_at_once(viewer):
    client = client_for(viewer)
    assert client.get("/api/v1/me").status_code == 200

    viewer.is_active = False
    viewer.save(update_fields=["is_active"])

    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_inactive"


def test_log_out_everywhere_refuses_cached_tokens_at_once(viewer):
    old, current = client_for(viewer), client_for(viewer)
    assert old.get("/api/v1/me").status_code == 200

    assert current.post("/api/v1/auth/logout-all").status_code in (200, 204)

    assert old.get("/api/v1/me").json()["error"]["code"] == "token_revoked"
    assert client_for(User.objects.get(pk=viewer.pk)).get("/api/v1/me").status_code == 200


@pytest.mark.urls("tests.benchmarks.urls")
def test_a_refresh_snapshots_the_account(api, viewer):
    tokens = api.post("/api/v1/auth/login", {"username": "viewer", "password": PASSWORD}, format="json").json()
    identity._client().delete(identity._key(viewer.pk))

    fresh = api.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json").json()

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/bench/noop", HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert response.status_code == 200
    assert [q["sql"] for q in queries] == []


def test_a_miss_reads_the_row_once_and_stores_it(viewer):
    client = client_for(viewer)
    identity._client().delete(identity._key(viewer.pk))

    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/me").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/me").status_code == 200

    assert len(user_queries(first.captured_queries)) == len(user_queries(second.captured_queries)) + 1


def test_a_revocation_that_lands_while_a_snapshot_is_read_is_not_overwritten(viewer, monkeypatch):
    """A miss read the row just before a "log out everywhere" committed: that request may
    pass (it raced the revocation), but the row it read must not be stored for later ones."""
    client = client_for(viewer)
    identity._client().delete(identity._key(viewer.pk))
    read_row = identity._read_row
    calls = []

    def racing_read(user_id):
        row = read_row(user_id)
        if not calls:  # a concurrent revocation commits right after this read
            User.objects.filter(pk=user_id).update(token_generation=row["token_generation"] + 1)
            identity.forget([user_id])
        calls.append(user_id)
        return row

    monkeypatch.setattr(identity, "_read_row", racing_read)
    client.get("/api/v1/me")

    assert identity._client().get(identity._key(viewer.pk)).startswith(identity.TOMBSTONE)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_missing_account_is_401(viewer):
    client = client_for(viewer)
    User.objects.filter(pk=viewer.pk).delete()  # a queryset delete sends the signals too

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_not_found"


def test_redis_down_is_503_with_a_retry_hint_not_500(viewer, monkeypatch):
    client = client_for(viewer)
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    monkeypatch.setattr(identity, "_client", lambda: dead)

    response = client.get("/api/v1/me")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "auth_unavailable"
    assert int(response["Retry-After"]) > 0
