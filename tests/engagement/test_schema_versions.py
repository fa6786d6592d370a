"""Stream entries carry their schema version; today's workers read the current and the previous
one (version 1: the envelope before versions), and dead-letter, never drop, one they cannot read."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from apps.engagement import pipeline, stream
from apps.engagement import redis_keys as keys
from apps.engagement.events import EngagementEvent, Kind
from apps.engagement.models import DeadLetter
from apps.engagement.store import get_store
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=20_000)


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-12345678", email="r@x.test")
    client.force_login(admin)
    return client


def play(video, *, watch_ms):
    return {"event_id": str(uuid.uuid4()), "video_id": video.pk, "kind": "progress",
            "occurred_at": datetime.now(UTC).isoformat(), "watch_ms": watch_ms, "position_ms": watch_ms,
            "duration_ms": 20_000}  # fmt: skip


def entries(redis_client):
    return [fields for _, fields in redis_client.xrange(keys.STREAM)]


def test_todays_entries_carry_the_current_schema_version(viewer, video, redis_client):
    client = client_for(viewer)
    client.post(f"/api/v1/videos/{video.pk}/like")
    client.post("/api/v1/engagement/playback", {"events": [play(video, watch_ms=5_000)]}, format="json")

    like, batch = entries(redis_client)

    assert json.loads(like[b"e"])["v"] == stream.SCHEMA_VERSION == 2
    assert json.loads(batch[b"p"])["v"] == stream.SCHEMA_VERSION


def test_entries_of_the_previous_version_are_replayed_through_todays_workers(viewer, user_factory, video, redis_client):
    # Written as the request path wrote them before entries had a version (version 1).
    like = EngagementEvent(event_id=uuid.uuid4(), kind=Kind.LIKE, video_id=video.pk,
                           occurred_at=datetime.now(UTC), user_id=viewer.pk)  # fmt: skip
    plays = [
        EngagementEvent(event_id=uuid.uuid4(), kind=Kind.PROGRESS, video_id=video.pk, occurred_at=datetime.now(UTC),
                        user_id=viewer.pk, watch_ms=ms, position_ms=ms, duration_ms=20_000)
        for ms in (5_000, 9_000)
    ]  # fmt: skip
    window = int(datetime.now(UTC).timestamp()) // 3600
    redis_client.xadd(keys.STREAM, {"e": json.dumps(like.to_json())})
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"w": window, "e": [e.to_row() for e in plays]}), "m": "21"})
    # And one of today's, beside them.
    client_for(user_factory()).post(f"/api/v1/videos/{video.pk}/like")

    written = pipeline.drain(consumer="w1", budget_s=10)

    assert written == 5  # two likes, two plays and the view the first play counted
    assert redis_client.xlen(keys.STREAM) == 0
    assert not DeadLetter.objects.exists()
    assert get_store().is_liked(user_id=viewer.pk, video_id=video.pk)
    assert get_store().like_count(video_id=video.pk) == 2
    assert get_store().count_events(video_id=video.pk, kind="view") == 1
    assert get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk).total_watch_ms == 14_000


def test_an_entry_of_a_version_the_workers_cannot_read_is_dead_lettered_and_replayed_later(
    viewer, video, redis_client, admin_client, monkeypatch
):
    newer = {"v": 3, **EngagementEvent(event_id=uuid.uuid4(), kind=Kind.LIKE, video_id=video.pk,
                                        occurred_at=datetime.now(UTC), user_id=viewer.pk).to_json()}  # fmt: skip
    redis_client.xadd(keys.STREAM, {"e": json.dumps(newer)})
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"v": 3, "w": 1, "e": []}), "m": ""})

    pipeline.drain(consumer="w1", budget_s=10)

    assert redis_client.xlen(keys.STREAM) == 0
    letters = list(DeadLetter.objects.order_by("kind"))
    assert [(letter.kind, letter.reason) for letter in letters] == [
        ("batch", "unsupported_version"),
        ("event", "unsupported_version"),
    ]
    assert not get_store().is_liked(user_id=viewer.pk, video_id=video.pk)

    monkeypatch.setattr(stream, "READS", frozenset({2, 3}))  # workers that read version 3 are deployed
    admin_client.post("/admin/engagement/deadletter/", {"action": "replay", "_selected_action": [letters[1].pk]})
    pipeline.drain(consumer="w1", budget_s=10)

    assert get_store().is_liked(user_id=viewer.pk, video_id=video.pk)
    assert DeadLetter.objects.count() == 2  # read this time: no new letter


def test_a_dead_row_of_the_previous_version_keeps_its_envelope(viewer, video, redis_client):
    rows = [["not-a-uuid", "progress", video.pk]]
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"w": 7, "e": rows}), "m": "1"})  # version 1

    pipeline.drain(consumer="w1", budget_s=10)

    [letter] = DeadLetter.objects.all()
    assert (letter.reason, json.loads(letter.payload)) == ("malformed", {"w": 7, "e": rows})


def test_a_dead_row_of_todays_version_keeps_it(viewer, video, redis_client):
    rows = [["not-a-uuid", "progress", video.pk]]
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"v": 2, "w": 7, "e": rows}), "m": "1"})

    pipeline.drain(consumer="w1", budget_s=10)

    [letter] = DeadLetter.objects.all()
    assert json.loads(letter.payload) == {"v": 2, "w": 7, "e": rows}
