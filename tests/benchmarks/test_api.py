"""The floor and naive-baseline endpoints the benchmark drives (docs/benchmark.md)."""

import uuid
from datetime import UTC, datetime

import pytest

from apps.videos.models import Video
from bench.django_app.models import NaiveEvent, NaiveLike
from tests.conftest import client_for

BENCH_URLS = pytest.mark.urls("tests.benchmarks.urls")


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=30_000)


def playback_event(video, *, kind="progress", watch_ms=4000, duration_ms=30_000, event_id=None):
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "video_id": video.pk,
        "kind": kind,
        "occurred_at": datetime.now(UTC).isoformat(),
        "position_ms": watch_ms,
        "watch_ms": watch_ms,
        "duration_ms": duration_ms,
    }


def test_endpoints_are_not_mounted_by_default(viewer, video):
    # Given the project's own URLs (BENCHMARK_ENDPOINTS is False outside settings.bench)
    client = client_for(viewer)

    # Then none of the benchmark endpoints exists
    assert client.get("/api/v1/bench/noop").status_code == 404
    assert client.post(f"/api/v1/bench/naive-like/{video.pk}").status_code == 404


@BENCH_URLS
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/bench/noop"), ("post", "/api/v1/bench/naive-like/1"), ("post", "/api/v1/bench/naive-playback")],
)
def test_every_endpoint_requires_authentication(api, db, method, path):
    response = getattr(api, method)(path, {}, format="json")

    assert response.status_code == 401


@BENCH_URLS
def test_floor_answers_ok_to_an_authenticated_user(viewer):
    response = client_for(viewer).get("/api/v1/bench/noop")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


@BENCH_URLS
def test_floor_refuses_a_bad_token(api, db):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert api.get("/api/v1/bench/noop").status_code == 401


@BENCH_URLS
def test_naive_like_counts_once_and_answers_duplicates_with_409(viewer, user_factory, video):
    # Given two viewers
    other = user_factory()

    # When the first likes twice and the second once
    first = client_for(viewer).post(f"/api/v1/bench/naive-like/{video.pk}")
    again = client_for(viewer).post(f"/api/v1/bench/naive-like/{video.pk}")
    second = client_for(other).post(f"/api/v1/bench/naive-like/{video.pk}")

    # Then the duplicate changed nothing and every accepted like is counted synchronously
    assert (first.status_code, first.json()) == (200, {"status": "accepted", "like_count": 1})
    assert (again.status_code, again.json()) == (409, {"status": "duplicate", "like_count": 1})
    assert (second.status_code, second.json()) == (200, {"status": "accepted", "like_count": 2})
    assert NaiveLike.objects.filter(video=video).count() == 2
    assert Video.objects.get(pk=video.pk).like_count == 2


@BENCH_URLS
def test_naive_like_of_a_missing_or_hidden_video_is_404(viewer, creator, video_factory):
    hidden = video_factory(creator=creator, visibility=Video.Visibility.PRIVATE)

    assert client_for(viewer).post("/api/v1/bench/naive-like/999999").status_code == 404
    assert client_for(viewer).post(f"/api/v1/bench/naive-like/{hidden.pk}").status_code == 404
    assert NaiveLike.objects.count() == 0


@BENCH_URLS
def test_naive_playback_writes_a_row_per_event_and_counts_views_by_the_rules(viewer, creator, video, video_factory):
    # Given a long and a short video
    short = video_factory(creator=creator, duration_ms=4000)
    repeated = uuid.uuid4()
    events = [
        playback_event(video, kind="start", watch_ms=0),
        playback_event(video, watch_ms=2000),  # too short to count
        playback_event(video, watch_ms=3500, event_id=repeated),  # counts
        playback_event(video, kind="complete", watch_ms=30_000),  # same viewer, same hour: no second view
        playback_event(video, kind="loop", watch_ms=30_000),  # loops never count
        playback_event(short, kind="progress", watch_ms=2000, duration_ms=4000),  # half a short video counts
    ]

    # When the batch is posted, then posted again with one repeated event id
    first = client_for(viewer).post("/api/v1/bench/naive-playback", {"events": events}, format="json")
    second = client_for(viewer).post(
        "/api/v1/bench/naive-playback",
        {"events": [playback_event(video, watch_ms=9000, event_id=repeated)]},
        format="json",
    )

    # Then
    assert first.status_code == 200
    assert first.json() == {"accepted": 6, "duplicates": 0, "views_counted": 2, "rejected": []}
    assert second.json() == {"accepted": 0, "duplicates": 1, "views_counted": 0, "rejected": []}
    assert NaiveEvent.objects.count() == 6
    assert Video.objects.get(pk=video.pk).view_count == 1
    assert Video.objects.get(pk=short.pk).view_count == 1


@BENCH_URLS
def test_naive_playback_rejects_events_on_videos_the_viewer_cannot_see(viewer, creator, video, video_factory):
    hidden = video_factory(creator=creator, visibility=Video.Visibility.PRIVATE)
    events = [playback_event(hidden), playback_event(video)]

    response = client_for(viewer).post("/api/v1/bench/naive-playback", {"events": events}, format="json")

    assert response.json()["accepted"] == 1
    assert response.json()["rejected"] == [{"index": 0, "event_id": events[0]["event_id"], "code": "video_not_found"}]
    assert Video.objects.get(pk=hidden.pk).view_count == 0


@BENCH_URLS
@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [{"video_id": 1}]},
        {
            "events": [
                {"event_id": str(uuid.uuid4()), "video_id": 1, "kind": "dance", "occurred_at": "2026-01-01T00:00:00Z"}
            ]
        },
        {"events": [], "extra": 1},
    ],
)
def test_naive_playback_validates_the_batch(viewer, body):
    response = client_for(viewer).post("/api/v1/bench/naive-playback", body, format="json")

    assert response.status_code == 400
    assert NaiveEvent.objects.count() == 0
