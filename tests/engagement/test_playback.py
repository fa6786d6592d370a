"""Playback batches: per-event validation, duplicates, late events, view-count rules, shares."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.engagement import counters
from apps.engagement.store import get_store
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=20_000)


def ev(video, kind="progress", *, watch_ms=0, position_ms=0, at=None, **extra):
    return {
        "event_id": str(uuid.uuid4()),
        "video_id": video.pk,
        "kind": kind,
        "occurred_at": (at or datetime.now(UTC)).isoformat(),
        "watch_ms": watch_ms,
        "position_ms": position_ms,
        "duration_ms": 20_000,
        **extra,
    }


def send(client, events, **extra):
    return client.post("/api/v1/engagement/playback", {"events": events, **extra}, format="json")


def test_batch_reports_accepted_duplicates_and_rejects_by_code(viewer, video, creator, video_factory):
    hidden = video_factory(creator=creator, visibility=Video.Visibility.PRIVATE)
    good = ev(video, "start")
    events = [
        good,
        good,  # the same event twice in one batch
        ev(video, at=datetime.now(UTC) + timedelta(hours=1)),
        ev(video, watch_ms=-5),
        {**ev(video), "event_id": "not-a-uuid"},
        ev(hidden),
        {**ev(video), "kind": "teleport"},
        {**ev(video), "video_id": 10**9},
        {**ev(video), "surprise": 1},
    ]

    response = send(client_for(viewer), events)

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 1)
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (2, "future_timestamp"),
        (3, "negative_watch_time"),
        (4, "invalid_event_id"),
        (5, "video_not_found"),
        (6, "invalid_kind"),
        (7, "video_not_found"),
        (8, "unknown_field"),
    ]


def test_a_repeated_batch_is_all_duplicates_and_counts_nothing_twice(viewer, video, drain):
    batch = [ev(video, "start"), ev(video, watch_ms=4_000, position_ms=4_000)]
    client = client_for(viewer)

    first = send(client, batch).json()
    second = send(client, batch).json()
    drain()
    counters.flush()

    assert (first["accepted"], first["views_counted"]) == (2, 1)
    assert (second["accepted"], second["duplicates"], second["views_counted"]) == (0, 2, 0)
    video.refresh_from_db()
    assert video.view_count == 1
    session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert session.total_watch_ms == 4_000 and session.plays == 1


def test_late_events_are_accepted(viewer, video):
    body = send(client_for(viewer), [ev(video, "start", at=datetime.now(UTC) - timedelta(days=2))]).json()

    assert body["accepted"] == 1


def test_view_needs_minimum_watch_time_and_counts_once_per_window(viewer, video):
    client = client_for(viewer)

    short = send(client, [ev(video, watch_ms=2_000, position_ms=2_000)]).json()
    enough = send(client, [ev(video, watch_ms=3_500, position_ms=3_500)]).json()
    again = send(client, [ev(video, "complete", watch_ms=20_000, position_ms=20_000)]).json()

    assert (short["views_counted"], enough["views_counted"], again["views_counted"]) == (0, 1, 0)
    assert client.get(f"/api/v1/videos/{video.pk}/counters").json()["views"] == 1


def test_loops_are_rewatches_not_views(viewer, video, drain):
    client = client_for(viewer)
    send(client, [ev(video, "complete", watch_ms=20_000, position_ms=20_000)])

    loops = send(client, [ev(video, "loop", watch_ms=20_000, position_ms=20_000) for _ in range(3)]).json()
    drain()

    assert loops["views_counted"] == 0
    session = get_store().watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert session.rewatches == 3 and session.completed


def test_half_of_a_short_video_is_a_view(viewer, creator, video_factory):
    short = video_factory(creator=creator, duration_ms=4_000)
    event = {**ev(short, watch_ms=2_000, position_ms=2_000), "duration_ms": 4_000}

    assert send(client_for(viewer), [event]).json()["views_counted"] == 1


def test_anonymous_viewers_are_deduped_by_their_server_issued_session(video):
    from rest_framework.test import APIClient

    device_a, device_b = APIClient(), APIClient()
    for device in (device_a, device_b):
        token = device.post("/api/v1/engagement/anonymous-session").json()["token"]
        device.credentials(HTTP_X_ANONYMOUS_SESSION=token)

    first = send(device_a, [ev(video, watch_ms=5_000)]).json()
    same = send(device_a, [ev(video, watch_ms=5_000)]).json()
    other = send(device_b, [ev(video, watch_ms=5_000)]).json()

    assert [first["views_counted"], same["views_counted"], other["views_counted"]] == [1, 0, 1]


def test_anonymous_batch_needs_a_server_issued_session(api, video):
    response = send(api, [ev(video)], session_id="chosen-by-the-client")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "anonymous_session_required"


def test_batch_size_is_bounded(viewer, video):
    response = send(client_for(viewer), [ev(video) for _ in range(101)])

    assert response.status_code == 400
    assert response.json()["error"]["details"]["events"][0]["code"] == "max_length"


def test_share_counts_once_per_client_event_id(viewer, video, drain):
    client = client_for(viewer)
    event_id = str(uuid.uuid4())

    first = client.post(
        f"/api/v1/videos/{video.pk}/share", {"target": "copy_link", "event_id": event_id}, format="json"
    )
    retry = client.post(
        f"/api/v1/videos/{video.pk}/share", {"target": "copy_link", "event_id": event_id}, format="json"
    )
    other = client.post(f"/api/v1/videos/{video.pk}/share", {"target": "direct_message"}, format="json")
    drain()

    assert [r.json()["status"] for r in (first, retry, other)] == ["accepted", "duplicate", "accepted"]
    assert client.get(f"/api/v1/videos/{video.pk}/counters").json()["shares"] == 2
    assert counters.recount(video.pk)["shares"] == 2


def test_share_target_is_validated(viewer, video):
    response = client_for(viewer).post(f"/api/v1/videos/{video.pk}/share", {"target": "carrier_pigeon"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["target"][0]["code"] == "invalid_choice"


def test_views_feed_affinity_signals(viewer, creator, video, drain):
    send(client_for(viewer), [ev(video, watch_ms=5_000)])
    drain()

    creators = get_store().affinities(user_id=viewer.pk, kind="creator")
    assert creators and creators[0][0] == str(creator.pk)
    assert get_store().affinities(user_id=viewer.pk, kind="hashtag")[0][0] == "demo"


def test_playback_ticks_live_in_the_watch_session_and_the_history_keeps_the_view(viewer, video, drain):
    # Given a play: start, progress past the view threshold, complete
    send(
        client_for(viewer),
        [
            ev(video, "start"),
            ev(video, "progress", watch_ms=4_000, position_ms=4_000),
            ev(video, "complete", watch_ms=16_000, position_ms=20_000),
        ],
    )

    drain()

    # Then the viewer's history and the video's count hold the counted view; the video's log
    # (likes, unlikes, shares) holds neither the view nor the ticks
    store = get_store()
    now = datetime.now(UTC)
    assert [e.kind for e in store.user_history(user_id=viewer.pk)] == ["view"]
    assert store.count_events(video_id=video.pk, kind="view") == 1
    assert store.video_events(video_id=video.pk, since=now - timedelta(hours=1), until=now + timedelta(minutes=5)) == []
    # ... and the watch session is derived from all three ticks
    session = store.watch_session(viewer_key=f"u:{viewer.pk}", video_id=video.pk)
    assert (session.plays, session.total_watch_ms, session.completed) == (1, 20_000, True)


def test_completing_and_rewatching_count_once_per_session_towards_affinity(viewer, creator, video):
    from apps.engagement import pipeline
    from apps.engagement.events import EngagementEvent

    def played(kind, ms):
        return EngagementEvent(
            event_id=uuid.uuid4(), kind=kind, video_id=video.pk, occurred_at=datetime.now(UTC), user_id=viewer.pk,
            watch_ms=ms, position_ms=ms, duration_ms=20_000,
        )  # fmt: skip

    complete, loops = played("complete", 20_000), [played("loop", 20_000), played("loop", 20_000)]

    pipeline.process_events([complete])
    pipeline.process_events([complete, *loops])
    pipeline.process_events(loops)  # a replay

    # completed (1.0) + two rewatches (2 x 1.5), once, towards the creator and the hashtag
    store = get_store()
    assert store.affinities(user_id=viewer.pk, kind="creator") == [(str(creator.pk), 4.0)]
    assert store.affinities(user_id=viewer.pk, kind="hashtag") == [("demo", 4.0)]


def test_a_batch_over_many_videos_loads_their_access_facts_in_two_queries(viewer, creator, video_factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    videos = [video_factory(creator=creator, duration_ms=20_000) for _ in range(8)]
    client = client_for(viewer)
    client.get("/api/v1/engagement/playback")  # the session's first request: nothing to load yet

    with CaptureQueriesContext(connection) as queries:
        response = send(client, [ev(v, "start") for v in videos for _ in range(2)])

    assert response.json()["accepted"] == 16
    assert len(queries) == 2, [q["sql"][:80] for q in queries]  # the videos' facts, their creators' blocks


def test_an_event_that_is_not_an_object_is_rejected_alone(viewer, video):
    response = send(client_for(viewer), [ev(video, "start"), 5, "start"])

    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(1, "invalid_event"), (2, "invalid_event")]
