import pytest

from apps.accounts import services as accounts
from apps.videos.models import Video
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)


def test_create_parses_hashtags_and_mentions(creator, viewer):
    response = client_for(creator).post(
        "/api/v1/videos", {"caption": "Sunset #Beach #beach #golden with @viewer and @ghost"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["hashtags"] == ["beach", "golden"]
    assert body["mentions"] == ["viewer"]
    assert body["status"] == "uploaded"
    assert body["like_count"] == 0


def test_create_rejects_over_long_caption_and_writes_nothing(creator):
    response = client_for(creator).post("/api/v1/videos", {"caption": "x" * 2201}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["caption"][0]["code"] == "max_length"
    assert Video.objects.count() == 0


def test_create_rejects_counters_and_unknown_fields(creator):
    response = client_for(creator).post("/api/v1/videos", {"caption": "hi", "like_count": 5}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["like_count"][0]["code"] == "unknown_field"


def test_malformed_json_is_a_clear_400(creator):
    response = client_for(creator).post("/api/v1/videos", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_anonymous_cannot_create(api):
    assert api.post("/api/v1/videos", {"caption": "x"}, format="json").status_code == 401


def test_only_the_owner_may_edit_or_delete(creator, viewer, video_factory):
    video = video_factory(creator=creator)

    edit = client_for(viewer).patch(f"/api/v1/videos/{video.pk}", {"caption": "mine now"}, format="json")
    delete = client_for(viewer).delete(f"/api/v1/videos/{video.pk}")

    assert edit.status_code == 403 and edit.json()["error"]["code"] == "not_video_owner"
    assert delete.status_code == 403
    video.refresh_from_db()
    assert video.caption != "mine now"


def test_owner_edits_caption_and_hashtags_follow(creator, video_factory):
    video = video_factory(creator=creator, caption="#one")

    response = client_for(creator).patch(f"/api/v1/videos/{video.pk}", {"caption": "#two"}, format="json")

    assert response.json()["hashtags"] == ["two"]


def test_owner_deletes(creator, video_factory):
    video = video_factory(creator=creator)

    assert client_for(creator).delete(f"/api/v1/videos/{video.pk}").status_code == 204
    assert not Video.objects.filter(pk=video.pk).exists()


def test_unknown_video_is_404_with_code(api, db):
    response = api.get("/api/v1/videos/999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"


def test_hashtag_pages(api, creator, video_factory):
    video_factory(creator=creator, caption="#Cats rule")
    video_factory(creator=creator, caption="#dogs")

    tag = api.get("/api/v1/hashtags/cats")
    videos = api.get("/api/v1/hashtags/CATS/videos").json()["results"]

    assert tag.json()["name"] == "cats"
    assert [v["caption"] for v in videos] == ["#Cats rule"]
    assert api.get("/api/v1/hashtags/nope").json()["error"]["code"] == "hashtag_not_found"


def test_list_by_creator_is_newest_first_with_cursor(api, creator, video_factory):
    for n in range(5):
        video_factory(creator=creator, caption=f"v{n}")

    first = api.get("/api/v1/users/creator/videos?limit=2").json()
    second = api.get(first["next"]).json()

    assert [v["caption"] for v in first["results"]] == ["v4", "v3"]
    assert [v["caption"] for v in second["results"]] == ["v2", "v1"]


def test_video_list_has_no_n_plus_one(api, user_factory, video_factory, django_assert_max_num_queries):
    for _ in range(10):
        video_factory(creator=user_factory(), caption="#a #b with @creator")

    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/videos")

    assert len(response.json()["results"]) == 10


# --- visibility: anonymous, follower, non-follower, blocked, owner ----------------------

VIEWERS = ["anonymous", "follower", "stranger", "blocked", "owner"]
EXPECTED = {
    # (visibility, private account, ready+approved): who sees it
    ("public", False, True): {"anonymous", "follower", "stranger", "owner"},
    ("followers", False, True): {"follower", "owner"},
    ("private", False, True): {"owner"},
    ("public", True, True): {"follower", "owner"},
    ("public", False, False): {"owner"},
}


@pytest.mark.parametrize(("visibility", "private_account", "published"), list(EXPECTED))
def test_visibility_matrix(user_factory, video_factory, visibility, private_account, published):
    owner = user_factory(username="owner", is_private=private_account)
    follower, stranger, blocked = user_factory(), user_factory(), user_factory()
    accounts.follow_create(follower=follower, followee=owner)
    if private_account:
        accounts.follow_request_accept(target=owner, requester=follower)
    accounts.follow_create(follower=blocked, followee=owner)
    if private_account:
        accounts.follow_request_accept(target=owner, requester=blocked)
    accounts.block_create(blocker=owner, blocked=blocked)
    status = Video.Status.READY if published else Video.Status.PROCESSING
    video = video_factory(creator=owner, visibility=visibility, status=status)
    clients = {
        "anonymous": None,
        "follower": client_for(follower),
        "stranger": client_for(stranger),
        "blocked": client_for(blocked),
        "owner": client_for(owner),
    }

    seen_by = set()
    for name, client in clients.items():
        from rest_framework.test import APIClient

        client = client or APIClient()
        detail = client.get(f"/api/v1/videos/{video.pk}")
        listed = [v["id"] for v in client.get("/api/v1/videos").json()["results"]]
        # A tag used only on videos you may not see is no page at all (404, like a missing tag).
        hashtag = [v["id"] for v in client.get("/api/v1/hashtags/demo/videos").json().get("results", [])]
        by_creator = client.get("/api/v1/users/owner/videos")
        by_creator_ids = [v["id"] for v in by_creator.json().get("results", [])]
        visible = {detail.status_code == 200, video.pk in listed, video.pk in hashtag, video.pk in by_creator_ids}
        assert len(visible) == 1, f"{name}: endpoints disagree"
        if visible.pop():
            seen_by.add(name)
        else:
            assert detail.json()["error"]["code"] == "video_not_found"

    assert seen_by == EXPECTED[(visibility, private_account, published)]


def test_removed_video_is_hidden_from_everyone_but_owner(creator, viewer, video_factory):
    video = video_factory(creator=creator, moderation_status=Video.Moderation.REMOVED)

    assert client_for(viewer).get(f"/api/v1/videos/{video.pk}").status_code == 404
    assert client_for(creator).get(f"/api/v1/videos/{video.pk}").status_code == 200

@pytest.mark.django_db
def test_counter_flush_writes_each_row_once_and_skips_rows_that_already_hold_the_values(creator, video_factory):
    from apps.videos import facade

    a, b, c = (video_factory(creator=creator) for _ in range(3))
    counts = {
        a.pk: {"likes": 5, "views": 7, "shares": 1},
        b.pk: {"likes": 2, "views": 0, "shares": 0},
        c.pk: {"likes": 0, "views": 0, "shares": 0},  # what c already holds
        10**9: {"likes": 1, "views": 1, "shares": 1},  # deleted meanwhile: nothing to write
    }

    assert facade.video_counters_set(counts) == 2
    assert facade.video_counters_set(counts) == 0
    assert facade.video_counters_set({b.pk: {"likes": -3, "views": 4, "shares": 0}}) == 1
    stored = {v.pk: (v.like_count, v.view_count, v.share_count) for v in Video.objects.filter(pk__in=[a.pk, b.pk, c.pk])}
    assert stored == {a.pk: (5, 7, 1), b.pk: (0, 4, 0), c.pk: (0, 0, 0)}
