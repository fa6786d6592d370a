"""One contract, two adapters: what every EngagementStore must do."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.engagement.events import AffinitySignal, EngagementEvent, Kind, LikeChange

pytestmark = pytest.mark.django_db(databases=["default", "cassandra"])

NOW = datetime.now(UTC).replace(microsecond=0)


def event(kind=Kind.START, *, video_id=1, user_id=7, at=None, **extra):
    return EngagementEvent(
        event_id=uuid.uuid4(), kind=kind, video_id=video_id, user_id=user_id, occurred_at=at or NOW, **extra
    )


def like(user_id, video_id, liked=True, seconds=0):
    return LikeChange(
        user_id=user_id, video_id=video_id, liked=liked, at=NOW + timedelta(seconds=seconds), event_id=uuid.uuid4()
    )


def test_recorded_events_read_back_by_video_and_user_newest_first(store):
    older = event(Kind.SHARE, at=NOW - timedelta(minutes=30), target="copy_link")
    newer = event(Kind.START, at=NOW - timedelta(minutes=1))
    other_video = event(Kind.START, video_id=2)

    store.record_events([older, newer, other_video])
    store.record_events([older, newer])  # a redelivered batch

    by_video = store.video_events(video_id=1, since=NOW - timedelta(hours=1), until=NOW + timedelta(minutes=1))
    assert [e.event_id for e in by_video] == [newer.event_id, older.event_id]
    assert by_video[1].target == "copy_link"
    shares = store.video_events(video_id=1, since=NOW - timedelta(hours=1), until=NOW, kind=Kind.SHARE)
    assert [e.event_id for e in shares] == [older.event_id]
    history = store.user_history(user_id=7)
    assert [e.event_id for e in history] == [other_video.event_id, newer.event_id, older.event_id]


def test_like_is_idempotent_and_counted_once(store):
    change = like(1, 10)

    store.apply_likes([change])
    store.apply_likes([change])

    assert store.is_liked(user_id=1, video_id=10)
    assert store.like_count(video_id=10) == 1
    assert store.liked_video_ids(user_id=1) == [10]


def test_toggles_converge_to_the_latest_intent_in_any_order(store):
    first, second, third = like(1, 10, True, 0), like(1, 10, False, 1), like(1, 10, True, 2)
    store.apply_likes([third, first])
    store.apply_likes([second])  # late unlike: older than the last like, so it loses

    assert store.is_liked(user_id=1, video_id=10)
    assert store.like_count(video_id=10) == 1

    store.apply_likes([like(1, 10, False, 3)])

    assert not store.is_liked(user_id=1, video_id=10)
    assert store.like_count(video_id=10) == 0
    assert store.liked_video_ids(user_id=1) == []


def test_like_count_and_recent_likers(store):
    store.apply_likes([like(user, 10, True, user) for user in range(1, 201)])
    store.apply_likes([like(200, 10, False, 500)])

    assert store.like_count(video_id=10) == 199
    assert store.recent_likers(video_id=10, limit=3) == [199, 198, 197]


def test_watch_session_totals_completion_and_rewatches_survive_replays(store):
    batch = [
        event(Kind.START, watch_ms=0, duration_ms=10_000),
        event(Kind.PROGRESS, watch_ms=5_000, position_ms=5_000, duration_ms=10_000),
        event(Kind.COMPLETE, watch_ms=5_000, position_ms=10_000, duration_ms=10_000),
        event(Kind.LOOP, watch_ms=3_000, position_ms=3_000, duration_ms=10_000),
    ]

    store.record_watch(batch)
    store.record_watch(batch)  # replay

    session = store.watch_session(viewer_key="u:7", video_id=1)
    assert session.total_watch_ms == 13_000
    assert session.completed and session.completion == 1.0
    assert session.rewatches == 1 and session.plays == 1


def test_a_replay_that_splits_a_batch_differently_counts_nothing_twice(store):
    # A worker killed mid-batch: its events come back in other batches, grouped differently
    batch = [
        event(Kind.START, watch_ms=0, duration_ms=10_000),
        event(Kind.PROGRESS, watch_ms=4_000, position_ms=4_000, duration_ms=10_000),
        event(Kind.LOOP, watch_ms=2_000, position_ms=2_000, duration_ms=10_000),
    ]
    store.record_watch(batch)

    store.record_watch(batch[:1])
    store.record_watch([*batch[1:], event(Kind.LOOP, watch_ms=1_000, duration_ms=10_000)])

    session = store.watch_session(viewer_key="u:7", video_id=1)
    assert (session.total_watch_ms, session.plays, session.rewatches) == (7_000, 1, 2)


def test_one_players_batch_over_many_videos_keeps_each_session_apart(store):
    # 60 videos in one batch: one row per session, all in the viewer's partition
    store.record_watch(
        [
            event(Kind.PROGRESS, video_id=v, watch_ms=100 * v, position_ms=100 * v, duration_ms=10_000)
            for v in range(1, 61)
        ]
        + [event(Kind.LOOP, video_id=3, watch_ms=500, position_ms=500, duration_ms=10_000)]
    )
    store.record_watch([event(Kind.PROGRESS, video_id=2, user_id=8, watch_ms=9_999, duration_ms=10_000)])

    assert store.watch_session(viewer_key="u:7", video_id=1).total_watch_ms == 100
    assert store.watch_session(viewer_key="u:7", video_id=60).total_watch_ms == 6_000
    three = store.watch_session(viewer_key="u:7", video_id=3)
    assert (three.total_watch_ms, three.rewatches) == (800, 1)
    assert store.watch_session(viewer_key="u:7", video_id=2).total_watch_ms == 200  # not user 8's


def test_anonymous_watch_sessions_are_keyed_by_session_id(store):
    store.record_watch(
        [event(Kind.PROGRESS, user_id=None, session_id="abc", watch_ms=2_000, position_ms=2_000, duration_ms=8_000)]
    )

    session = store.watch_session(viewer_key="s:abc", video_id=1)
    assert session.total_watch_ms == 2_000
    assert session.completion == 0.25 and not session.completed
    assert store.watch_session(viewer_key="u:7", video_id=1) is None


def test_affinity_parts_sum_per_key_and_replays_change_nothing(store):
    def signal(key, video_id, part, weight, kind="creator"):
        return AffinitySignal(user_id=7, kind=kind, key=key, video_id=video_id, part=part, weight=weight)

    first = [
        signal("42", 1, "a", 1.0),
        signal("42", 2, "b", 2.0),
        signal("9", 3, "completed", 0.5),
        signal("dance", 1, "a", 1.0, kind="hashtag"),
    ]
    store.add_affinity(first)
    store.add_affinity(first)  # a replay
    # a later batch adds a part to a video already signalled, and completes video 3 again
    store.add_affinity([signal("42", 1, "c", 1.5), signal("9", 3, "completed", 0.5)])

    assert store.affinities(user_id=7, kind="creator") == [("42", 4.5), ("9", 0.5)]
    assert store.affinities(user_id=7, kind="hashtag") == [("dance", 1.0)]
    assert store.affinities(user_id=8, kind="creator") == []


def test_ping(store):
    store.ping()


def test_cassandra_outage_is_a_retryable_error_not_a_hang():
    import time

    import pytest
    from cassandra.cluster import Cluster

    from apps.engagement.store import StoreUnavailable
    from apps.engagement.store.cassandra import CassandraStore

    dead = CassandraStore(
        session_factory=lambda: Cluster(["127.0.0.1"], port=1, connect_timeout=1).connect(), keyspace="nowhere"
    )
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as raised:
        dead.apply_likes([like(1, 10)])

    assert raised.value.status_code == 503 and raised.value.code == "engagement_store_unavailable"
    assert time.monotonic() - started < 10


def test_counted_views_and_shares_are_exact_and_replay_safe(store):
    views = [event(Kind.VIEW, user_id=u) for u in range(1, 41)]
    share = event(Kind.SHARE, target="copy_link")

    store.record_events([*views, share])
    store.record_events(views)

    assert store.count_events(video_id=1, kind=Kind.VIEW) == 40
    assert store.count_events(video_id=1, kind=Kind.SHARE) == 1
    assert store.count_events(video_id=2, kind=Kind.VIEW) == 0
    # views are in their viewers' history, not in the video's log (which keeps the share)
    assert [e.kind for e in store.user_history(user_id=3)] == [Kind.VIEW]
    logged = store.video_events(video_id=1, since=NOW - timedelta(hours=1), until=NOW + timedelta(minutes=1))
    assert [e.event_id for e in logged] == [share.event_id]
