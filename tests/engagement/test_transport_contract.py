"""One contract, both transports (transport/port.py): the Redis scripts with the workers, and
the inline transport of the embedded default. Every test runs once per transport, through the
API, and looks at what a client and the store see after the pipeline settles.

Kept apart on purpose (port.py): the like rate limit and the backlog exist only with Redis.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.accounts import services as accounts
from apps.engagement import counters, pipeline, transport
from apps.engagement.store import get_store
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA

HOME = "203.0.113.7"  # a documentation address: no traffic goes there


@pytest.fixture(params=["redis", "inline"])
def engagement(request: Any, settings: Any) -> Any:
    """The transport under test, and how to let its pipeline settle (drain and flush)."""
    if request.param == "inline":
        settings.ENGAGEMENT_TRANSPORT = "inline"
        settings.ENGAGEMENT_STORE = "orm"
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    get_store.cache_clear()

    def settle() -> None:
        if request.param == "redis":
            pipeline.drain(budget_s=10)
            counters.flush()

    yield settle
    get_store.cache_clear()


@pytest.fixture
def video(creator, video_factory):
    return video_factory(creator=creator, duration_ms=20_000)


def like(user, video):
    return client_for(user).post(f"/api/v1/videos/{video.pk}/like")


def unlike(user, video):
    return client_for(user).delete(f"/api/v1/videos/{video.pk}/like")


def play(video, *, watch_ms=5_000, event_id=None):
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "video_id": video.pk,
        "kind": "progress",
        "occurred_at": datetime.now(UTC).isoformat(),
        "watch_ms": watch_ms,
        "position_ms": watch_ms,
        "duration_ms": 20_000,
    }


def send(client, events):
    return client.post("/api/v1/engagement/playback", {"events": events}, format="json")


def counts(video):
    return APIClient().get(f"/api/v1/videos/{video.pk}/counters").json()


def test_the_transport_is_the_one_configured(engagement, settings):
    assert transport.get().name == settings.ENGAGEMENT_TRANSPORT


def test_a_like_is_accepted_once_and_an_unlike_cancels_it(engagement, viewer, video):
    first, again = like(viewer, video).json(), like(viewer, video).json()
    gone, gone_again = unlike(viewer, video).json(), unlike(viewer, video).json()

    assert first == {"status": "accepted", "liked": True, "like_count": 1}
    assert again == {"status": "duplicate", "liked": True, "like_count": 1}
    assert gone == {"status": "accepted", "liked": False, "like_count": 0}
    assert gone_again["status"] == "duplicate"


def test_likes_settle_in_the_store_and_the_video_row(engagement, user_factory, viewer, video):
    fans = [user_factory() for _ in range(3)]
    for fan in [*fans, viewer]:
        like(fan, video)
    unlike(viewer, video)

    engagement()

    assert get_store().like_count(video_id=video.pk) == 3
    assert get_store().is_liked(user_id=fans[0].pk, video_id=video.pk)
    assert not get_store().is_liked(user_id=viewer.pk, video_id=video.pk)
    assert Video.objects.get(pk=video.pk).like_count == 3
    assert counts(video)["likes"] == 3


@pytest.mark.parametrize("refusal", ["private_video", "blocked"])
def test_a_like_of_a_video_you_may_not_see_is_404_and_counts_nothing(
    engagement, viewer, creator, video_factory, refusal
):
    video = video_factory(
        creator=creator, visibility=Video.Visibility.PRIVATE if refusal == "private_video" else Video.Visibility.PUBLIC
    )
    if refusal == "blocked":
        accounts.block_create(blocker=creator, blocked=viewer)

    response = like(viewer, video)
    engagement()

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"
    assert get_store().like_count(video_id=video.pk) == 0
    assert Video.objects.get(pk=video.pk).like_count == 0


def test_a_followers_only_video_takes_likes_from_followers_only(
    engagement, viewer, user_factory, creator, video_factory
):
    video = video_factory(creator=creator, visibility=Video.Visibility.FOLLOWERS)
    follower = user_factory()
    accounts.follow_create(follower=follower, followee=creator)

    assert like(viewer, video).status_code == 404
    assert like(follower, video).json()["status"] == "accepted"
    assert like(creator, video).json()["status"] == "accepted"  # the owner, always


def test_hidden_like_counts_are_hidden_from_everyone_but_the_creator(engagement, viewer, creator, video):
    hidden = client_for(creator).patch("/api/v1/me/settings", {"show_like_counts": False}, format="json")
    assert hidden.status_code == 200

    assert like(viewer, video).json()["like_count"] is None
    assert like(creator, video).json()["like_count"] == 2


def test_playback_counts_a_view_once_and_a_resent_batch_is_all_duplicates(engagement, viewer, video):
    events = [play(video), play(video, watch_ms=500)]
    client = client_for(viewer)

    first = send(client, events).json()
    again = send(client, events).json()
    engagement()

    assert (first["accepted"], first["views_counted"], first["duplicates"]) == (2, 1, 0)
    assert first["statuses"] == ["accepted", "accepted"]
    assert (again["accepted"], again["duplicates"], again["statuses"]) == (0, 2, ["duplicate", "duplicate"])
    assert counts(video)["views"] == 1
    assert Video.objects.get(pk=video.pk).view_count == 1


def test_a_share_is_counted_once_per_client_event_id(engagement, viewer, video):
    body = {"target": "copy_link", "event_id": str(uuid.uuid4())}
    client = client_for(viewer)

    first = client.post(f"/api/v1/videos/{video.pk}/share", body, format="json")
    again = client.post(f"/api/v1/videos/{video.pk}/share", body, format="json")
    engagement()

    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert counts(video)["shares"] == 1


def test_past_the_viewers_budget_a_batch_is_refused_whole_and_records_nothing(engagement, viewer, video, settings):
    settings.VIEWER_EVENTS_PER_HOUR = 3
    client = client_for(viewer)

    kept = send(client, [play(video), play(video, watch_ms=500)])
    refused = send(client, [play(video, watch_ms=600), play(video, watch_ms=700)])
    engagement()

    assert kept.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
    assert get_store().count_events(video_id=video.pk, kind="view") == 1


def test_anonymous_views_past_the_networks_cap_are_kept_not_counted(engagement, video, settings):
    settings.ANON_VIEWS_PER_NETWORK = 2
    players = []
    for _ in range(3):
        player = APIClient(REMOTE_ADDR=HOME)
        player.credentials(HTTP_X_ANONYMOUS_SESSION=player.post("/api/v1/engagement/anonymous-session").json()["token"])
        players.append(player)

    answers = [send(player, [play(video)]).json() for player in players]
    engagement()

    assert [a["accepted"] for a in answers] == [1, 1, 1]
    assert [a["views_counted"] for a in answers] == [1, 1, 0]
    assert counts(video)["views"] == 2
    assert get_store().count_events(video_id=video.pk, kind="view") == 2
    now = datetime.now(UTC)
    capped = get_store().video_events(
        video_id=video.pk, since=now - timedelta(hours=1), until=now + timedelta(hours=1), kind="capped_view"
    )
    assert len(capped) == 1
