"""Health probes: live is public and minimal; ready's detail only for staff or the health token."""

import pytest

from apps.core import health
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_cache(monkeypatch):
    def _down() -> None:
        raise ConnectionError("Error 111 connecting to 10.1.2.3:6379. Connection refused.")

    monkeypatch.setitem(health._CHECKS, "cache", _down)


def test_live_is_public_and_says_only_ok(client):
    response = client.get("/health/live")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_hides_backend_errors_from_the_public(client, broken_cache):
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert "10.1.2.3" not in response.content.decode()


def test_ready_shows_detail_with_the_health_token(client, broken_cache, settings):
    settings.HEALTH_TOKEN = "probe-secret-0123456789"

    wrong = client.get("/health/ready", HTTP_X_HEALTH_TOKEN="guess")
    right = client.get("/health/ready", HTTP_X_HEALTH_TOKEN="probe-secret-0123456789")

    assert wrong.json() == {"status": "unavailable"}
    assert right.status_code == 503
    check = right.json()["checks"]["cache"]
    assert check["ok"] is False and "ConnectionError" in check["error"]


def test_an_empty_token_setting_never_matches_an_empty_header(client, broken_cache, settings):
    settings.HEALTH_TOKEN = ""

    response = client.get("/health/ready", HTTP_X_HEALTH_TOKEN="")

    assert "checks" not in response.json()


def test_ready_shows_detail_to_staff_sessions_only(client, broken_cache):
    member = UserFactory(username="member")
    staff = UserFactory(username="ops", is_staff=True)

    client.force_login(member)
    as_member = client.get("/health/ready").json()
    client.force_login(staff)
    as_staff = client.get("/health/ready").json()

    assert "checks" not in as_member
    assert as_staff["checks"]["cache"]["ok"] is False and as_staff["checks"]["database"]["ok"] is True
