"""The embedded default (`make run`): no Redis stream, no Cassandra; same API behaviour."""

import uuid
from datetime import UTC, datetime

import pytest

from apps.engagement.models import EventRecord, LikeRecord
from apps.engagement.store import get_store
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)


@pytest.fixture(autouse=True)
def inline(settings):
    settings.ENGAGEMENT_TRANSPORT = "inline"
    settings.ENGAGEMENT_STORE = "orm"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    get_store.cache_clear()
    yield
    get_store.cache_clear()


def test_like_unlike_and_counts_are_immediate(viewer, creator, video_factory):
    video = video_factory(creator=creator)
    client = client_for(viewer)

    first = client.post(f"/api/v1/videos/{video.pk}/like").json()
    again = client.post(f"/api/v1/videos/{video.pk}/like").json()

    assert first == {"status": "accepted", "liked": True, "like_count": 1}
    assert again["status"] == "duplicate"
    assert LikeRecord.objects.get(user_id=viewer.pk, video_id=video.pk).liked
    video.refresh_from_db()
    assert video.like_count == 1
    assert client.delete(f"/api/v1/videos/{video.pk}/like").json()["like_count"] == 0


def test_playback_counts_a_view_once(viewer, creator, video_factory):
    video = video_factory(creator=creator)
    event = {
        "event_id": str(uuid.uuid4()),
        "video_id": video.pk,
        "kind": "progress",
        "occurred_at": datetime.now(UTC).isoformat(),
        "watch_ms": 5_000,
        "position_ms": 5_000,
    }
    client = client_for(viewer)

    first = client.post("/api/v1/engagement/playback", {"events": [event]}, format="json").json()
    second = client.post("/api/v1/engagement/playback", {"events": [event]}, format="json").json()

    assert (first["views_counted"], second["duplicates"]) == (1, 1)
    video.refresh_from_db()
    assert video.view_count == 1
    assert EventRecord.objects.filter(video_id=video.pk, kind="view").count() == 1


def _anonymous(ip):
    from rest_framework.test import APIClient

    client = APIClient(REMOTE_ADDR=ip)
    response = client.post("/api/v1/engagement/anonymous-session")
    assert response.status_code == 201
    client.credentials(HTTP_X_ANONYMOUS_SESSION=response.json()["token"])
    return client


def _play(video):
    return {
        "event_id": str(uuid.uuid4()),
        "video_id": video.pk,
        "kind": "progress",
        "occurred_at": datetime.now(UTC).isoformat(),
        "watch_ms": 5_000,
        "position_ms": 5_000,
    }


def test_anonymous_views_and_shares_follow_the_same_rules_without_redis(creator, video_factory, settings):
    from rest_framework.test import APIClient

    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "anonymous-session": {"per_user": None, "per_network": 1000, "window_s": 3600},
    }
    settings.ANON_VIEWS_PER_NETWORK, settings.ANON_SHARES_PER_NETWORK = 10, 3
    video = video_factory(creator=creator)

    views = [
        _anonymous("203.0.113.7").post("/api/v1/engagement/playback", {"events": [_play(video)]}, format="json").json()
        for _ in range(30)
    ]
    elsewhere = _anonymous("198.51.100.20").post(
        "/api/v1/engagement/playback", {"events": [_play(video)]}, format="json"
    )
    shares = [
        _anonymous("203.0.113.7").post(f"/api/v1/videos/{video.pk}/share", {"target": "copy_link"}, format="json")
        for _ in range(5)
    ]
    forged = APIClient().post(
        "/api/v1/engagement/playback", {"events": [_play(video)], "anonymous_session": "x:y:z"}, format="json"
    )

    assert sum(v["views_counted"] for v in views) == 10 and all(v["accepted"] == 1 for v in views)
    assert elsewhere.json()["views_counted"] == 1
    assert [s.json()["status"] for s in shares] == ["accepted"] * 5
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "anonymous_session_invalid"
    video.refresh_from_db()
    assert (video.view_count, video.share_count) == (11, 3)
    assert EventRecord.objects.filter(video_id=video.pk, kind="capped_view").count() == 20
    assert EventRecord.objects.filter(video_id=video.pk, kind="capped_share").count() == 2


def test_the_event_budget_holds_without_redis(viewer, creator, video_factory, settings):
    settings.VIEWER_EVENTS_PER_HOUR = 150
    video = video_factory(creator=creator)
    client = client_for(viewer)

    first = client.post("/api/v1/engagement/playback", {"events": [_play(video) for _ in range(100)]}, format="json")
    over = client.post("/api/v1/engagement/playback", {"events": [_play(video) for _ in range(100)]}, format="json")

    assert first.json()["accepted"] == 100
    assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limited"
