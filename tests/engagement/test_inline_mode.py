"""The embedded default (`make run`): no Redis stream, no Cassandra; same API behaviour."""

import uuid
from datetime import UTC, datetime

import pytest

from apps.engagement.models import EventRecord, LikeRecord
from apps.engagement.store import get_store
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


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
