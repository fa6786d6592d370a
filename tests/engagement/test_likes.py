"""Likes end to end: API -> Redis request path -> worker batch -> Cassandra -> PostgreSQL flush."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.engagement import counters
from apps.engagement.store import get_store
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator)


def like(user, video):
    return client_for(user).post(f"/api/v1/videos/{video.pk}/like")


def test_like_is_accepted_once_and_seen_at_once(viewer, video):
    first = like(viewer, video)
    second = like(viewer, video)

    assert first.status_code == 200
    assert first.json() == {"status": "accepted", "liked": True, "like_count": 1}
    assert second.json() == {"status": "duplicate", "liked": True, "like_count": 1}
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}/like").json() == {"liked": True}
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}/counters").json()["likes"] == 1


def test_unlike_cancels_and_repeated_toggles_converge_to_the_last_intent(viewer, video, drain):
    client = client_for(viewer)
    for method in ("post", "delete", "post", "delete", "delete", "post"):
        getattr(client, method)(f"/api/v1/videos/{video.pk}/like")

    drain()
    counters.flush()

    assert client.get(f"/api/v1/videos/{video.pk}/counters").json()["likes"] == 1
    assert get_store().is_liked(user_id=viewer.pk, video_id=video.pk)
    assert get_store().like_count(video_id=video.pk) == 1
    video.refresh_from_db()
    assert video.like_count == 1


def test_a_like_is_stored_in_the_like_tables_and_not_copied_into_the_event_log(viewer, video, drain):
    from datetime import UTC, datetime, timedelta

    like(viewer, video)
    drain()

    store = get_store()
    assert store.is_liked(user_id=viewer.pk, video_id=video.pk)
    assert store.liked_video_ids(user_id=viewer.pk) == [video.pk]
    assert store.recent_likers(video_id=video.pk) == [viewer.pk]
    assert store.affinities(user_id=viewer.pk, kind="creator")[0][1] == 3.0
    now = datetime.now(UTC)
    assert store.video_events(video_id=video.pk, since=now - timedelta(hours=1), until=now + timedelta(minutes=5)) == []
    assert store.user_history(user_id=viewer.pk) == []


def test_unlike_without_like_is_a_duplicate(viewer, video):
    response = client_for(viewer).delete(f"/api/v1/videos/{video.pk}/like")

    assert response.json() == {"status": "duplicate", "liked": False, "like_count": 0}


def test_counts_equal_distinct_likes_after_the_queue_drains(user_factory, video, drain):
    fans = [user_factory() for _ in range(30)]
    for fan in fans:
        like(fan, video)
        like(fan, video)  # duplicates change nothing
    client_for(fans[0]).delete(f"/api/v1/videos/{video.pk}/like")

    drain()
    counters.flush()

    video.refresh_from_db()
    assert video.like_count == 29
    assert get_store().like_count(video_id=video.pk) == 29
    assert counters.recount(video.pk)["likes"] == 29


def test_flush_is_one_update_per_video_however_many_likes(user_factory, video, drain):
    for fan in [user_factory() for _ in range(40)]:
        like(fan, video)

    with CaptureQueriesContext(connection) as queries:
        result = counters.flush()
    again = counters.flush()

    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "videos_video" in q["sql"]]
    assert len(updates) == 1
    assert result == {"videos": 1, "rows_updated": 1}
    assert again == {"videos": 0, "rows_updated": 0}
    assert Video.objects.get(pk=video.pk).like_count == 40


def test_cannot_like_a_video_you_may_not_see(viewer, creator, video_factory):
    private = video_factory(creator=creator, visibility=Video.Visibility.PRIVATE)

    response = like(viewer, private)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"


def test_blocked_user_cannot_like(viewer, creator, video):
    from apps.accounts import services as accounts

    accounts.block_create(blocker=creator, blocked=viewer)

    assert like(viewer, video).status_code == 404


def test_anonymous_cannot_like(api, video):
    response = api.post(f"/api/v1/videos/{video.pk}/like")

    assert response.status_code == 401


def test_owner_can_like_own_video(creator, video):
    assert like(creator, video).json()["status"] == "accepted"


def test_likes_reach_notifications_in_one_call_per_batch(viewer, user_factory, creator, video, drain, monkeypatch):
    from apps.notifications import facade as notifications

    calls = []
    monkeypatch.setattr(notifications, "notify_events", lambda events: calls.append(list(events)))
    other = user_factory()
    like(viewer, video)
    like(other, video)
    like(creator, video)  # own like: no notification

    drain()

    assert len(calls) == 1
    assert sorted(n["actor_id"] for n in calls[0]) == sorted([viewer.pk, other.pk])
    assert {n["event_id"] for n in calls[0]} == {f"like:{viewer.pk}:{video.pk}", f"like:{other.pk}:{video.pk}"}
    assert all(n["target_user_id"] == creator.pk and n["kind"] == "like" for n in calls[0])


def test_like_rate_limit_per_user(viewer, user_factory, creator, video_factory, settings):
    settings.LIKE_RATE_LIMIT = 5
    videos = [video_factory(creator=creator) for _ in range(6)]
    client = client_for(viewer)

    answers = [client.post(f"/api/v1/videos/{v.pk}/like") for v in videos]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1]["Retry-After"]) > 0
    assert client.get(f"/api/v1/videos/{videos[-1].pk}/counters").json()["likes"] == 0


def test_an_access_entry_expiring_mid_lookup_is_refetched_not_a_500(viewer, creator, video, monkeypatch):
    # The entry is fresh at one clock reading and expired at the next: a lookup that reads the
    # cache twice (a membership test, then the item) raised KeyError there, answered as a 500.
    from cachetools import TTLCache

    from apps.engagement import access

    clock = {"now": 0.0}

    def timer() -> float:
        clock["now"] += 0.5
        return clock["now"]

    for ttl in (1.25, 1.75, 2.25, 2.75):  # every phase of the clock against the entries' expiry
        for name in ("_videos", "_blocks"):
            monkeypatch.setattr(access, name, TTLCache(maxsize=10, ttl=ttl, timer=timer))
        for _ in range(4):
            assert access.check_can_engage(video_id=video.pk, user=viewer)["creator_id"] == creator.pk
    assert like(viewer, video).status_code == 200


def _video_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "videos_video" in q["sql"] or "accounts_block" in q["sql"]]


def test_likes_read_no_video_or_block_rows_from_a_videos_first_like_on(user_factory, creator, video_factory):
    video = video_factory(creator=creator)  # committed (this module is not transactional)

    for fan in (user_factory(), user_factory()):
        client = client_for(fan)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(f"/api/v1/videos/{video.pk}/like")
        assert response.json()["status"] == "accepted"
        assert _video_queries(queries) == []


def test_facts_of_many_videos_are_filled_in_one_go(user_factory, creator, video_factory):
    from apps.accounts import services as accounts
    from apps.engagement import access
    from apps.engagement import redis_keys as keys
    from apps.engagement.redis_scripts import client as redis_client

    other = user_factory()
    blocked = user_factory()
    accounts.block_create(blocker=creator, blocked=blocked)
    mine = [video_factory(creator=creator) for _ in range(3)]
    theirs = video_factory(creator=other, visibility=Video.Visibility.PRIVATE)
    client = redis_client()
    client.delete(*[keys.access_facts(v.pk) for v in [*mine, theirs]], keys.block_partners(creator.pk))

    with CaptureQueriesContext(connection) as queries:
        result = access.facts_fill([v.pk for v in [*mine, theirs]] + [10**9])

    assert result == {**{v.pk: "ok" for v in [*mine, theirs]}, 10**9: "missing"}
    assert len(queries.captured_queries) == 3  # creators, facts, block partners
    assert client.hget(keys.access_facts(theirs.pk), "open") == b"0"
    assert client.hget(keys.access_facts(mine[0].pk), "open") == b"1"
    assert client.smembers(keys.block_partners(creator.pk)) == {b"-", str(blocked.pk).encode()}
    assert like(blocked, mine[1]).status_code == 404
    assert like(user_factory(), mine[1]).status_code == 200


def test_hiding_a_video_refuses_likes_at_once(user_factory, video):
    assert like(user_factory(), video).status_code == 200  # facts cached

    video.visibility = Video.Visibility.PRIVATE
    video.save()

    response = like(user_factory(), video)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"


def test_a_block_refuses_likes_at_once_and_unblocking_allows_them_again(viewer, user_factory, creator, video):
    from apps.accounts import services as accounts

    assert like(user_factory(), video).status_code == 200
    accounts.block_create(blocker=creator, blocked=viewer)
    assert like(viewer, video).status_code == 404

    accounts.block_delete(blocker=creator, blocked=viewer)
    assert like(viewer, video).status_code == 200


def test_a_creator_going_private_leaves_likes_to_followers(viewer, user_factory, creator, video):
    from apps.accounts import services as accounts

    follower = user_factory()
    accounts.follow_create(follower=follower, followee=creator)
    assert like(viewer, video).status_code == 200  # facts cached while the account is public

    accounts.profile_update(user=creator, data={"is_private": True})

    assert like(user_factory(), video).status_code == 404
    assert like(follower, video).json()["status"] == "accepted"
    assert like(creator, video).status_code == 200  # the owner, always


def test_facts_read_while_access_changes_are_not_stored(video, monkeypatch):
    from apps.engagement import access
    from apps.engagement import redis_keys as keys
    from apps.engagement.redis_scripts import client as redis_client

    real = access.videos.videos_access_info

    def changing_underneath(video_ids):
        info = real(video_ids)
        access._bump_epochs(video_ids, [])  # a change commits while the facts are read
        return info

    redis_client().delete(keys.access_facts(video.pk))  # written when the video was saved
    monkeypatch.setattr(access.videos, "videos_access_info", changing_underneath)
    assert access.shared_facts_fill(video.pk) == "moved"
    assert not _exists(redis_client(), keys.access_facts(video.pk))

    monkeypatch.setattr(access.videos, "videos_access_info", real)
    assert access.shared_facts_fill(video.pk) == "ok"
    assert access.shared_facts_fill(10**9) == "missing"


def _exists(client, key: str) -> bool:
    return bool(client.exists(key))
