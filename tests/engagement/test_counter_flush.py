"""The counter flush is single-flight: flushes never share the "flushing" set, so one that fails
never has its ids deleted by another, and after the flushes every counter is exact."""

import pytest

from apps.engagement import counters
from apps.videos import facade as videos
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


def like(user, video):
    assert client_for(user).post(f"/api/v1/videos/{video.pk}/like").status_code == 200


@pytest.fixture
def liked(creator, user_factory, video_factory):
    clips = [video_factory(creator=creator) for _ in range(4)]
    fans = [user_factory() for _ in range(3)]
    for clip in clips[:3]:
        for fan in fans:
            like(fan, clip)
    return clips, fans


def like_counts(clips):
    return {clip.pk: Video.objects.get(pk=clip.pk).like_count for clip in clips}


def race(monkeypatch, during_first_write):
    """Run ``during_first_write`` while the flush writes its first chunk; the other flush it
    starts fails while writing (its database call raises)."""
    real = videos.video_counters_set
    state = {"raced": False, "fail": False}

    def video_counters_set(counts):
        if state["fail"]:
            raise RuntimeError("the database went away")
        if not state["raced"]:
            state["raced"] = True
            state["fail"] = True
            try:
                state["other"] = during_first_write()
            except RuntimeError:
                state["other"] = "failed"
            state["fail"] = False
        return real(counts)

    monkeypatch.setattr(videos, "video_counters_set", video_counters_set)
    return state


def test_a_flush_started_during_another_is_skipped_and_nothing_is_lost(liked, user_factory, monkeypatch):
    clips, _ = liked
    late = user_factory()

    def second_flush():
        like(late, clips[3])  # arrives while the first flush writes
        return counters.flush()

    state = race(monkeypatch, second_flush)
    first = counters.flush()
    monkeypatch.undo()
    last = counters.flush()

    assert like_counts(clips) == {clips[0].pk: 3, clips[1].pk: 3, clips[2].pk: 3, clips[3].pk: 1}
    assert state["other"] == {"videos": 0, "rows_updated": 0, "skipped": 1}
    assert first == {"videos": 3, "rows_updated": 3}
    assert last == {"videos": 1, "rows_updated": 1}


def test_a_flush_past_its_lease_never_clears_the_ids_of_the_one_that_took_over(
    liked, user_factory, monkeypatch, redis_client
):
    clips, _ = liked
    late = user_factory()

    def takeover_that_fails():
        redis_client.delete(counters.FLUSH_LOCK)  # the first flush ran past its lease
        like(late, clips[3])
        return counters.flush()  # takes over, then fails mid-way: its ids must survive

    state = race(monkeypatch, takeover_that_fails)
    counters.flush()  # the stale flush finishes: it may not clear the set it no longer owns
    monkeypatch.undo()
    counters.flush()

    assert like_counts(clips) == {clips[0].pk: 3, clips[1].pk: 3, clips[2].pk: 3, clips[3].pk: 1}
    assert state["other"] == "failed"


def test_a_flush_that_fails_midway_leaves_its_ids_to_the_next_one(liked, monkeypatch, redis_client):
    clips, fans = liked
    monkeypatch.setattr(counters, "FLUSH_CHUNK", 1)
    real = videos.video_counters_set
    calls = []

    def fails_on_the_second_chunk(counts):
        calls.append(counts)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(counts)

    monkeypatch.setattr(videos, "video_counters_set", fails_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        counters.flush()
    like(fans[0], clips[3])  # more arrives before the retry
    monkeypatch.setattr(videos, "video_counters_set", real)

    retried = counters.flush()  # not skipped: the failed flush gave its lease back

    assert retried["videos"] == 4 and "skipped" not in retried
    assert like_counts(clips) == {clips[0].pk: 3, clips[1].pk: 3, clips[2].pk: 3, clips[3].pk: 1}
    assert redis_client.get(counters.FLUSH_LOCK) is None
