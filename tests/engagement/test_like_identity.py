"""A like checks the account behind its token inside the like script (one Redis round trip),
with the same outcomes as every other endpoint's authentication."""

import pytest

from apps.accounts import identity
from apps.accounts import services as account_services
from apps.accounts.models import User
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator)


def likes(client, video):
    return client.get(f"/api/v1/videos/{video.pk}/counters").json()["likes"]


def test_a_like_needs_no_separate_account_lookup(viewer, video, monkeypatch):
    client = client_for(viewer)  # issuing the tokens snapshots the account

    def separate_lookup(**_):
        raise AssertionError("the like script checks the account itself")

    monkeypatch.setattr(identity, "token_identity", separate_lookup)
    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 200
    assert response.json()["like_count"] == 1


def test_a_logged_out_token_cannot_like(viewer, video):
    tokens = account_services.tokens_for_user(user=viewer)
    client = client_for(viewer)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204

    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert likes(client_for(viewer), video) == 0


def test_log_out_everywhere_stops_likes_from_older_tokens(viewer, video):
    old, current = client_for(viewer), client_for(viewer)
    assert current.post("/api/v1/auth/logout-all").status_code in (200, 204)

    response = old.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    fresh = client_for(User.objects.get(pk=viewer.pk))
    assert fresh.post(f"/api/v1/videos/{video.pk}/like").status_code == 200


def test_a_deactivated_account_cannot_like_or_read_its_like_state(viewer, video):
    client = client_for(viewer)
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])

    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_inactive"
    assert client.get(f"/api/v1/videos/{video.pk}/like").status_code == 401
    assert client.delete(f"/api/v1/videos/{video.pk}/like").status_code == 401


def test_an_evicted_snapshot_is_filled_and_the_like_goes_through(viewer, video):
    client = client_for(viewer)
    identity._client().delete(identity._key(viewer.pk))

    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 200
    assert identity._client().get(identity._key(viewer.pk)) is not None
    assert client.post(f"/api/v1/videos/{video.pk}/like").json()["status"] == "duplicate"


def test_a_deleted_account_cannot_like(viewer, video):
    client = client_for(viewer)
    User.objects.filter(pk=viewer.pk).delete()
    identity._client().delete(identity._key(viewer.pk))

    response = client.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 401
