"""Dead letters are idempotent (a redelivered entry records nothing twice) and replayable in the
form they arrived in (a batch row goes back as a batch, with its status and view window)."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from apps.engagement import pipeline, stream
from apps.engagement import redis_keys as keys
from apps.engagement.events import EngagementEvent
from apps.engagement.models import DeadLetter
from apps.engagement.store import get_store
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=20_000)


def plays(video, n):
    at = datetime.now(UTC).isoformat()
    return [
        {"event_id": str(uuid.uuid4()), "video_id": video.pk, "kind": "progress", "occurred_at": at,
         "watch_ms": 4_000, "position_ms": 4_000 * (i + 1), "duration_ms": 20_000}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-12345678", email="r@x.test")
    client.force_login(admin)
    return client


def replay_in_admin(admin_client, letters):
    return admin_client.post(
        "/admin/engagement/deadletter/", {"action": "replay", "_selected_action": [letter.pk for letter in letters]}
    )


def test_a_redelivered_entry_records_its_dead_letters_once(viewer, video, redis_client, monkeypatch):
    client_for(viewer).post("/api/v1/engagement/playback", {"events": plays(video, 2)}, format="json")
    redis_client.xadd(keys.STREAM, {"e": "{not json"})
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"w": 1, "e": [["not-a-uuid", "progress", video.pk]]}), "m": "1"})
    real_ack = stream.ack

    def killed_before_the_ack(*args):
        raise SystemExit("worker killed")

    monkeypatch.setattr(stream, "ack", killed_before_the_ack)
    with pytest.raises(SystemExit):
        pipeline.drain(consumer="w1", budget_s=10)
    monkeypatch.setattr(stream, "ack", real_ack)
    first = sorted(DeadLetter.objects.values_list("kind", "payload"))

    pipeline.drain(consumer="w1", budget_s=10)  # its own pending entries come back

    assert redis_client.xlen(keys.STREAM) == 0
    assert sorted(DeadLetter.objects.values_list("kind", "payload")) == first
    assert len(first) == 2
    session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert session.total_watch_ms == 8_000


def test_a_dead_batch_row_is_replayed_as_a_batch_once_the_worker_can_read_it(
    viewer, video, redis_client, monkeypatch, admin_client
):
    events = plays(video, 3)
    unreadable = events[0]["event_id"]  # the first play: the one the request path counted as a view
    client_for(viewer).post("/api/v1/engagement/playback", {"events": events}, format="json")
    real_from_row = EngagementEvent.from_row.__func__

    def old_worker(cls, row):  # e.g. a worker older than the API that wrote the row
        if row[0] == unreadable:
            raise ValueError("unknown to this worker")
        return real_from_row(cls, row)

    monkeypatch.setattr(EngagementEvent, "from_row", classmethod(old_worker))
    pipeline.drain(consumer="w1", budget_s=10)
    [letter] = DeadLetter.objects.all()
    assert (letter.kind, letter.reason, letter.statuses) == ("batch", "malformed", "2")
    assert get_store().count_events(video_id=video.pk, kind="view") == 0

    monkeypatch.undo()  # the fixed worker is deployed
    assert replay_in_admin(admin_client, [letter]).status_code == 302
    assert replay_in_admin(admin_client, [letter]).status_code == 302  # a double click replays nothing more
    assert redis_client.xlen(keys.STREAM) == 1
    pipeline.drain(consumer="w1", budget_s=10)

    assert DeadLetter.objects.get().status == "replayed"
    assert DeadLetter.objects.count() == 1  # decoded this time: no new letter
    session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert session.total_watch_ms == 12_000
    assert get_store().count_events(video_id=video.pk, kind="view") == 1  # its status came back with it


def test_an_event_letter_is_replayed_as_an_event(viewer, video, redis_client, admin_client, monkeypatch):
    client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")
    real = pipeline.process_events
    monkeypatch.setattr(pipeline, "process_events", lambda events: (_ for _ in ()).throw(ValueError("a bug")))
    pipeline.drain(consumer="w1", budget_s=10)
    [letter] = DeadLetter.objects.all()
    assert (letter.kind, letter.reason) == ("event", "processing_error")

    monkeypatch.setattr(pipeline, "process_events", real)
    replay_in_admin(admin_client, [letter])
    pipeline.drain(consumer="w1", budget_s=10)

    assert get_store().like_count(video_id=video.pk) == 1
    assert DeadLetter.objects.count() == 1
