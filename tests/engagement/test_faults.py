"""At-least-once delivery, crashed workers, poison events, outages and counter drift."""

import json

import pytest
import redis

from apps.engagement import counters, pipeline, redis_scripts, stream
from apps.engagement import redis_keys as keys
from apps.engagement.models import DeadLetter
from apps.engagement.store import StoreUnavailable, get_store
from apps.engagement.transport import redis_transport
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator)


@pytest.fixture
def liked_by(user_factory, video):
    fans = [user_factory() for _ in range(12)]
    for fan in fans:
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")
    return fans


def test_a_worker_killed_mid_batch_loses_nothing_and_counts_nothing_twice(liked_by, video, redis_client, settings):
    # A worker reads a batch and dies before acknowledging it (as under SIGKILL) ...
    stream.ensure_group(redis_client)
    _, taken = stream.next_entries(redis_client, "worker-that-died", 5)
    assert len(taken) == 5
    # ... after the claim timeout another worker takes its batch over, plus the rest.
    settings.ENGAGEMENT_CLAIM_IDLE_MS = 0

    processed = pipeline.drain(consumer="survivor", budget_s=10)

    assert processed == 12
    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().like_count(video_id=video.pk) == 12
    counters.flush()
    video.refresh_from_db()
    assert video.like_count == 12


def test_a_dead_consumers_entries_are_looked_for_ten_times_per_claim_period(
    liked_by, video, redis_client, settings, monkeypatch
):
    # Looking walks the group's whole pending list, and Redis answers no like meanwhile.
    settings.ENGAGEMENT_CLAIM_IDLE_MS = 60_000
    monkeypatch.setitem(stream._CLAIM_CHECKED, "at", float("-inf"))
    stream.ensure_group(redis_client)
    _, taken = stream.next_entries(redis_client, "worker-that-died", 5)  # looks once
    assert len(taken) == 5

    def looks() -> int:
        return redis_client.info("commandstats").get("cmdstat_xautoclaim", {}).get("calls", 0)

    before = looks()
    pipeline.drain(consumer="survivor", budget_s=5)
    pipeline.drain(consumer="survivor", budget_s=5)

    assert looks() == before  # not again within a tenth of the period
    assert redis_client.xlen(keys.STREAM) == 5  # the rest was written; the dead one's batch waits
    settings.ENGAGEMENT_CLAIM_IDLE_MS = 0  # its batch is claimable now
    pipeline.drain(consumer="survivor", budget_s=5)
    assert looks() > before
    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().like_count(video_id=video.pk) == 12


def test_redelivered_entries_change_nothing(liked_by, video, redis_client):
    stream.ensure_group(redis_client)
    _, entries = stream.next_entries(redis_client, "w1", 100)

    pipeline.process_events([stream.decode_event(e[1][b"e"].decode()) for e in entries])
    pipeline.process_entries(redis_client, entries)  # the same batch again, then acknowledged

    assert get_store().like_count(video_id=video.pk) == 12
    assert redis_client.xlen(keys.STREAM) == 0


def test_drain_task_twice_is_safe(liked_by, video):
    from apps.engagement.tasks import drain

    drain.run()
    drain.run()

    assert get_store().like_count(video_id=video.pk) == 12


def test_store_outage_keeps_the_events_for_a_retry(liked_by, video, redis_client, monkeypatch, settings):
    from apps.engagement.store.cassandra import CassandraStore

    def down(self, *args, **kwargs):
        raise StoreUnavailable("Cassandra is unavailable: NoHostAvailable")

    monkeypatch.setattr(CassandraStore, "record_events", down)
    with pytest.raises(StoreUnavailable):
        pipeline.drain(consumer="w1", budget_s=5)
    assert redis_client.xlen(keys.STREAM) == 12  # nothing acknowledged, nothing lost

    monkeypatch.undo()
    settings.ENGAGEMENT_CLAIM_IDLE_MS = 0
    pipeline.drain(consumer="w2", budget_s=10)

    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().like_count(video_id=video.pk) == 12


def test_drain_task_retries_with_backoff_on_outage():
    from apps.engagement.tasks import drain

    assert StoreUnavailable in drain.autoretry_for
    assert drain.max_retries == 8 and drain.retry_backoff


def test_poison_events_go_to_the_dead_letter_store_and_can_be_replayed(liked_by, video, redis_client):
    redis_client.xadd(keys.STREAM, {"e": "{not json"})
    redis_client.xadd(keys.STREAM, {"e": json.dumps({"kind": "like"})})

    pipeline.drain(consumer="w1", budget_s=10)

    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().like_count(video_id=video.pk) == 12  # the good events went through
    letters = list(DeadLetter.objects.order_by("pk"))
    assert [letter.reason for letter in letters] == ["malformed", "malformed"]
    assert pipeline.replay_dead_letters([letters[0].pk]) == 1
    assert redis_client.xlen(keys.STREAM) == 1
    assert DeadLetter.objects.get(pk=letters[0].pk).status == DeadLetter.Status.REPLAYED


def test_events_of_a_deleted_video_are_dead_lettered_not_lost(viewer, video, redis_client):
    client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")
    video.delete()

    pipeline.drain(consumer="w1", budget_s=10)

    assert DeadLetter.objects.filter(reason="unknown_video").count() == 1
    assert redis_client.xlen(keys.STREAM) == 0


def test_redis_down_is_503_with_retry_after_not_500(viewer, video, monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    monkeypatch.setattr(redis_scripts, "client", lambda: dead)

    response = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "engagement_unavailable"
    assert int(response["Retry-After"]) > 0


def test_backlog_over_the_limit_sheds_load_with_503(viewer, video, monkeypatch):
    monkeypatch.setattr(redis_transport, "MAX_BACKLOG", -1)

    response = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "engagement_backlog"


def test_a_playback_backlog_over_the_limit_sheds_batches_with_503_and_records_nothing(viewer, video, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setattr(redis_transport, "MAX_BATCH_BACKLOG", -1)
    event = {"event_id": "0b7c1f9e-58a4-4bd0-9d7e-3f1a2c4b5d6e", "video_id": video.pk, "kind": "start",
             "occurred_at": datetime.now(UTC).isoformat()}  # fmt: skip

    response = client_for(viewer).post("/api/v1/engagement/playback", {"events": [event]}, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "engagement_backlog"
    monkeypatch.undo()  # the event was not taken: sent again, it is accepted
    again = client_for(viewer).post("/api/v1/engagement/playback", {"events": [event]}, format="json")
    assert again.json()["accepted"] == 1


def test_reconciliation_repairs_drift_from_the_store(liked_by, video, redis_client, drain):
    drain()
    redis_client.hset(keys.counters(video.pk), mapping={"likes": 999, "views": 7})

    result = counters.reconcile(video.pk)
    counters.flush()

    assert result["repaired"] is True
    assert result["counts"] == {"likes": 12, "views": 0, "shares": 0}
    video.refresh_from_db()
    assert (video.like_count, video.view_count) == (12, 0)


def test_reconciliation_waits_while_events_are_still_queued(liked_by, video, redis_client):
    redis_client.hset(keys.counters(video.pk), "likes", 999)

    result = counters.reconcile(video.pk)  # 12 likes are still in the stream, not in the store

    assert result["repaired"] is False and result["deferred"] is True
    assert int(redis_client.hget(keys.counters(video.pk), "likes")) == 999


def test_engagement_status_command(liked_by, capsys):
    from django.core.management import call_command

    call_command("engagement_status")

    status = json.loads(capsys.readouterr().out)
    assert status["stream_pending"] == 12 and status["dirty_counters"] == 1


def test_an_event_that_breaks_processing_is_dead_lettered_and_the_rest_go_through(
    liked_by, video, redis_client, monkeypatch
):
    from apps.engagement.events import Kind

    poisoned = liked_by[0].pk
    real = pipeline.get_store

    class Picky:
        def __getattr__(self, name):
            return getattr(real(), name)

        def apply_likes(self, changes):
            if any(c.user_id == poisoned for c in changes):
                raise ValueError("a processing bug")
            return real().apply_likes(changes)

    monkeypatch.setattr(pipeline, "get_store", lambda: Picky())

    pipeline.drain(consumer="w1", budget_s=10)

    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().like_count(video_id=video.pk) == 11
    [letter] = DeadLetter.objects.all()
    assert letter.reason == "processing_error" and json.loads(letter.payload)["kind"] == Kind.LIKE


def test_full_batches_drain_on_and_a_short_one_leaves_late_arrivals_to_the_next_drain(
    liked_by, video, redis_client, user_factory, monkeypatch
):
    assert pipeline.drain(consumer="w1", batch_size=5) == 12  # 5 + 5 + 2

    real = pipeline.process_entries
    late = user_factory()

    def with_a_like_arriving(client, entries, **kwargs):
        client_for(late).post(f"/api/v1/videos/{video.pk}/like")  # lands while the batch is written
        monkeypatch.setattr(pipeline, "process_entries", real)
        return real(client, entries, **kwargs)

    client_for(user_factory()).post(f"/api/v1/videos/{video.pk}/like")
    monkeypatch.setattr(pipeline, "process_entries", with_a_like_arriving)
    assert pipeline.drain(consumer="w1") == 1
    assert redis_client.xlen(keys.STREAM) == 1  # not re-read at once for a batch of one

    assert pipeline.drain(consumer="w1") == 1
    assert get_store().like_count(video_id=video.pk) == 14


def _plays(video, n):
    from datetime import UTC, datetime
    from uuid import uuid4

    at = datetime.now(UTC).isoformat()
    return [
        {"event_id": str(uuid4()), "video_id": video.pk, "kind": "progress", "occurred_at": at,
         "watch_ms": 4_000, "position_ms": 4_000, "duration_ms": 20_000}
        for _ in range(n)
    ]  # fmt: skip


def test_a_playback_batch_is_one_stream_entry_and_survives_a_killed_worker(user_factory, video, redis_client, settings):
    viewers = [user_factory() for _ in range(3)]
    for viewer in viewers:  # each: three events, one of them counted as a view
        client_for(viewer).post("/api/v1/engagement/playback", {"events": _plays(video, 3)}, format="json")
    assert redis_client.xlen(keys.STREAM) == 3

    # A worker reads two batches and dies before acknowledging them; another takes them over
    stream.ensure_group(redis_client)
    _, taken = stream.next_entries(redis_client, "worker-that-died", 2)
    assert len(taken) == 2
    settings.ENGAGEMENT_CLAIM_IDLE_MS = 0

    assert pipeline.drain(consumer="survivor", budget_s=10, batch_size=4) == 12  # 3 x (3 events + a view)

    assert redis_client.xlen(keys.STREAM) == 0
    assert get_store().count_events(video_id=video.pk, kind="view") == 3
    for viewer in viewers:
        session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
        assert session.total_watch_ms == 12_000


def test_a_malformed_event_inside_a_batch_entry_is_dead_lettered_alone(viewer, video, redis_client):
    from apps.engagement.events import EngagementEvent

    good = [EngagementEvent.from_json(dict(e, user_id=viewer.pk)).to_row() for e in _plays(video, 3)]
    rows = [*good, ["not-a-uuid", "progress", video.pk, good[0][3], viewer.pk, "", 1, 1, 1, ""]]
    # the script kept the first two and the bad one; the third was a duplicate
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"w": 1, "e": rows}), "m": "1101"})
    redis_client.xadd(keys.STREAM, {"p": "{not json", "m": "1"})
    redis_client.xadd(keys.STREAM, {"p": json.dumps({"w": 1, "e": good}), "m": "11"})  # a status short

    pipeline.drain(consumer="w1", budget_s=10)

    assert redis_client.xlen(keys.STREAM) == 0
    session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert session.total_watch_ms == 8_000  # the two kept events, not the duplicate
    letters = sorted(DeadLetter.objects.values_list("reason", "kind", "payload", "statuses"))
    assert letters == sorted(
        [
            ("malformed", "batch", json.dumps({"w": 1, "e": [rows[3]]}), "1"),  # the bad row, replayable as a batch
            ("malformed", "batch", "{not json", "1"),
            ("malformed", "batch", json.dumps({"w": 1, "e": good}), "11"),
        ]
    )


def test_past_its_deadline_a_worker_acknowledges_what_it_wrote_and_leaves_the_rest_for_its_next_drain(
    liked_by, video, redis_client
):
    import time

    stream.ensure_group(redis_client)
    _, entries = stream.next_entries(redis_client, "w1", 100)

    written = pipeline.process_entries(redis_client, entries, batch_size=5, deadline=time.monotonic())

    assert written == 5
    assert redis_client.xlen(keys.STREAM) == 7
    assert pipeline.drain(consumer="w1", budget_s=10) == 7  # its own pending entries first
    assert get_store().like_count(video_id=video.pk) == 12


def _kick_fails(monkeypatch):
    """The broker dies between the script and the drain kick (as kombu raised in a Redis kill)."""
    from kombu.exceptions import OperationalError

    from apps.engagement import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:56379. Connection refused.")

    monkeypatch.setattr(tasks.drain, "apply_async", broker_down)


def test_a_like_recorded_before_the_kick_fails_is_answered_accepted_not_500(viewer, video, monkeypatch, redis_client):
    _kick_fails(monkeypatch)

    response = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert redis_client.hget(keys.user_likes(viewer.pk), str(video.pk)) == b"1"
    assert redis_client.xlen(keys.STREAM) == 1  # the beat drain picks it up
    pipeline.drain(consumer="w1", budget_s=10)
    assert get_store().like_count(video_id=video.pk) == 1


def test_playback_and_shares_recorded_before_the_kick_fails_are_answered_not_500(viewer, video, monkeypatch):
    _kick_fails(monkeypatch)
    client = client_for(viewer)

    playback = client.post("/api/v1/engagement/playback", {"events": _plays(video, 2)}, format="json")
    shared = client.post(f"/api/v1/videos/{video.pk}/share", {"target": "copy_link"}, format="json")

    assert playback.status_code == 200 and playback.json()["accepted"] == 2
    assert shared.status_code == 200 and shared.json()["status"] == "accepted"
    assert client.get(f"/api/v1/videos/{video.pk}/counters").json() == {
        "video_id": video.pk,
        "likes": 0,
        "views": 1,
        "shares": 1,
    }
