"""One visibility rule on every surface: scheduled videos, hashtag pages, hidden like counts."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.engagement import access
from apps.engagement import redis_keys as keys
from apps.videos.models import Video
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_access_cache():
    access.clear()
    yield
    access.clear()


@pytest.fixture
def anonymous(api):
    """A signed-out player with its server-issued anonymous session."""
    token = api.post("/api/v1/engagement/anonymous-session").json()["token"]
    api.credentials(HTTP_X_ANONYMOUS_SESSION=token)
    return api


def surfaces(client, video_id):
    """Status of every read and engagement surface of one video for one client."""
    batch = {
        "session_id": "s1",
        "events": [
            {
                "event_id": str(uuid.uuid4()),
                "video_id": video_id,
                "kind": "start",
                "occurred_at": timezone.now().isoformat(),
            }
        ],
    }
    playback = client.post("/api/v1/engagement/playback", batch, format="json").json()
    return {
        "detail": client.get(f"/api/v1/videos/{video_id}").status_code,
        "counters": client.get(f"/api/v1/videos/{video_id}/counters").status_code,
        "share": client.post(f"/api/v1/videos/{video_id}/share", {"target": "copy_link"}, format="json").status_code,
        "playback": playback["rejected"][0]["code"] if playback["rejected"] else "accepted",
    }


HIDDEN = {"detail": 404, "counters": 404, "share": 404, "playback": "video_not_found"}
VISIBLE = {"detail": 200, "counters": 200, "share": 200, "playback": "accepted"}


@pytest.mark.embedded
def test_a_scheduled_video_is_hidden_on_every_surface_until_due(creator, viewer, video_factory, anonymous):
    video = video_factory(creator=creator, published_at=timezone.now() + timedelta(hours=1))

    like = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")

    assert (like.status_code, like.json()["error"]["code"]) == (404, "video_not_found")
    assert surfaces(client_for(viewer), video.pk) == HIDDEN
    assert surfaces(anonymous, video.pk) == HIDDEN
    assert client_for(viewer).get("/api/v1/hashtags/demo").status_code == 404
    # The creator sees and may engage with it as before.
    assert client_for(creator).post(f"/api/v1/videos/{video.pk}/like").status_code == 200
    assert surfaces(client_for(creator), video.pk) == VISIBLE
    assert client_for(viewer).post(f"/api/v1/videos/{video.pk}/like").status_code == 404  # facts now cached


def test_a_scheduled_video_becomes_visible_everywhere_at_once_when_due(creator, viewer, video_factory, redis_client):
    due = timezone.now() + timedelta(seconds=1.5)
    video = video_factory(creator=creator, published_at=due)
    assert client_for(viewer).post(f"/api/v1/videos/{video.pk}/like").status_code == 404
    assert surfaces(client_for(viewer), video.pk) == HIDDEN
    # The like script's facts (hidden) expire at the publication time, not hours later.
    assert 0 < redis_client.pttl(keys.access_facts(video.pk)) <= 1500

    time.sleep(max((due - timezone.now()).total_seconds(), 0) + 0.05)

    like = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")  # this process's cache is due too
    assert (like.status_code, like.json()["like_count"]) == (200, 1)
    assert surfaces(client_for(viewer), video.pk) == VISIBLE
    access.clear()  # another web process: only the shared facts in Redis
    assert client_for(viewer).delete(f"/api/v1/videos/{video.pk}/like").status_code == 200


@pytest.fixture
def redis_client():
    from apps.engagement.ingest import redis_client as client

    return client()


# --- hashtag pages ----------------------------------------------------------------------------


@pytest.mark.embedded
@pytest.mark.parametrize(
    "hidden",
    [
        {"visibility": Video.Visibility.PRIVATE},
        {"status": Video.Status.PROCESSING},
        {"moderation_status": Video.Moderation.REMOVED},
        {"visibility": Video.Visibility.FOLLOWERS},
    ],
    ids=["private", "draft", "removed", "followers-only"],
)
def test_a_hashtag_used_only_on_videos_you_may_not_see_is_404(creator, viewer, video_factory, api, hidden):
    video_factory(creator=creator, caption="secret #hush", **hidden)

    for client in (api, client_for(viewer)):
        for path in ("/api/v1/hashtags/hush", "/api/v1/hashtags/hush/videos"):
            response = client.get(path)
            assert (response.status_code, response.json()["error"]["code"]) == (404, "hashtag_not_found")
    # Its creator sees their own page; a missing tag answers exactly the same as a hidden one.
    assert client_for(creator).get("/api/v1/hashtags/hush").status_code == 200
    assert client_for(creator).get("/api/v1/hashtags/hush/videos").json()["results"][0]["caption"] == "secret #hush"
    assert api.get("/api/v1/hashtags/nosuchtag").json() == api.get("/api/v1/hashtags/hush").json()


@pytest.mark.embedded
def test_a_hashtag_with_one_visible_video_is_a_page(creator, viewer, video_factory, api):
    video_factory(creator=creator, caption="secret #mixed", visibility=Video.Visibility.PRIVATE)
    shown = video_factory(creator=creator, caption="open #mixed")

    assert api.get("/api/v1/hashtags/mixed").json()["name"] == "mixed"
    assert [v["id"] for v in api.get("/api/v1/hashtags/mixed/videos").json()["results"]] == [shown.pk]


# --- show_like_counts -------------------------------------------------------------------------


def hide_like_counts(creator, hidden: bool, capture) -> None:
    with capture(execute=True):  # the epochs move after commit
        response = client_for(creator).patch("/api/v1/me/settings", {"show_like_counts": not hidden}, format="json")
    assert response.status_code == 200


def test_hidden_like_counts_are_hidden_from_everyone_but_the_creator(
    creator, viewer, video_factory, api, django_capture_on_commit_callbacks
):
    video = video_factory(creator=creator)
    liked = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like").json()
    assert liked["like_count"] == 1  # shown by default

    hide_like_counts(creator, True, django_capture_on_commit_callbacks)

    for client in (client_for(viewer), api):
        assert client.get(f"/api/v1/videos/{video.pk}").json()["like_count"] is None
        assert client.get("/api/v1/videos").json()["results"][0]["like_count"] is None
        assert client.get(f"/api/v1/users/{creator.username}/videos").json()["results"][0]["like_count"] is None
        counters = client.get(f"/api/v1/videos/{video.pk}/counters").json()
        assert counters["likes"] is None and counters["views"] == 0
    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").json()["view_count"] == 0  # only likes
    unliked = client_for(viewer).delete(f"/api/v1/videos/{video.pk}/like").json()
    assert unliked == {"status": "accepted", "liked": False, "like_count": None}
    access.clear()  # another web process (the facts in Redis carry the flag)
    again = client_for(viewer).post(f"/api/v1/videos/{video.pk}/like").json()
    assert again == {"status": "accepted", "liked": True, "like_count": None}

    owner = client_for(creator)
    assert owner.get(f"/api/v1/videos/{video.pk}").json()["like_count"] == 0  # flushed later; not hidden
    assert owner.get(f"/api/v1/videos/{video.pk}/counters").json()["likes"] == 1
    assert owner.post(f"/api/v1/videos/{video.pk}/like").json()["like_count"] == 2

    hide_like_counts(creator, False, django_capture_on_commit_callbacks)

    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}/counters").json()["likes"] == 2
    assert client_for(viewer).delete(f"/api/v1/videos/{video.pk}/like").json()["like_count"] == 1
