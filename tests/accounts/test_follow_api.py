import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def counts(user):
    user.refresh_from_db()
    return user.follower_count, user.following_count


def test_follow_public_account_is_immediate_and_idempotent(creator, viewer):
    client = client_for(viewer)

    first = client.post("/api/v1/users/creator/follow")
    second = client.post("/api/v1/users/creator/follow")

    assert first.json() == {"status": "following"} == second.json()
    assert counts(creator) == (1, 0)
    assert counts(viewer) == (0, 1)
    followers = client.get("/api/v1/users/creator/followers").json()["results"]
    assert [item["user"]["username"] for item in followers] == ["viewer"]


def test_unfollow_twice_decrements_once(creator, viewer):
    client = client_for(viewer)
    client.post("/api/v1/users/creator/follow")

    client.delete("/api/v1/users/creator/follow")
    client.delete("/api/v1/users/creator/follow")

    assert counts(creator) == (0, 0)
    assert counts(viewer) == (0, 0)


def test_following_yourself_is_refused(viewer):
    response = client_for(viewer).post("/api/v1/users/viewer/follow")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cannot_follow_self"


def test_private_account_takes_requests(creator, viewer):
    creator.is_private = True
    creator.save()
    viewer_client, creator_client = client_for(viewer), client_for(creator)

    assert viewer_client.post("/api/v1/users/creator/follow").json() == {"status": "requested"}
    assert counts(creator) == (0, 0)
    assert viewer_client.get("/api/v1/users/creator/followers").json()["error"]["code"] == "private_account"
    pending = creator_client.get("/api/v1/me/follow-requests").json()["results"]
    assert [item["user"]["username"] for item in pending] == ["viewer"]

    assert creator_client.post("/api/v1/me/follow-requests/viewer").status_code == 204
    assert creator_client.post("/api/v1/me/follow-requests/viewer").status_code == 204  # second click: no change

    assert counts(creator) == (1, 0)
    assert viewer_client.get("/api/v1/users/creator").json()["relationship"]["following"] is True
    assert viewer_client.get("/api/v1/users/creator/followers").status_code == 200


def test_rejected_request_creates_nothing(creator, viewer):
    creator.is_private = True
    creator.save()
    client_for(viewer).post("/api/v1/users/creator/follow")

    client_for(creator).delete("/api/v1/me/follow-requests/viewer")

    assert client_for(creator).get("/api/v1/me/follow-requests").json()["results"] == []
    assert counts(creator) == (0, 0)


def test_going_public_accepts_pending_requests(creator, viewer):
    creator.is_private = True
    creator.save()
    client_for(viewer).post("/api/v1/users/creator/follow")

    client_for(creator).patch("/api/v1/me", {"is_private": False}, format="json")

    assert counts(creator) == (1, 0)


def test_block_cuts_follows_both_ways_and_hides_profile(creator, viewer):
    client_for(viewer).post("/api/v1/users/creator/follow")
    client_for(creator).post("/api/v1/users/viewer/follow")

    assert client_for(creator).post("/api/v1/users/viewer/block").status_code == 204

    assert counts(creator) == (0, 0)
    assert counts(viewer) == (0, 0)
    assert client_for(viewer).get("/api/v1/users/creator").status_code == 404
    refused = client_for(viewer).post("/api/v1/users/creator/follow")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "user_not_found"
    blocks = client_for(creator).get("/api/v1/me/blocks").json()["results"]
    assert [item["user"]["username"] for item in blocks] == ["viewer"]


def test_blocker_cannot_follow_whom_they_blocked(creator, viewer):
    client_for(creator).post("/api/v1/users/viewer/block")

    response = client_for(creator).post("/api/v1/users/viewer/follow")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked"


def test_remove_follower(creator, viewer):
    client_for(viewer).post("/api/v1/users/creator/follow")

    client_for(creator).delete("/api/v1/me/followers/viewer")

    assert counts(creator) == (0, 0)
    assert counts(viewer) == (0, 0)


def test_anonymous_cannot_follow(api, creator):
    response = api.post("/api/v1/users/creator/follow")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_user_is_404(viewer):
    response = client_for(viewer).get("/api/v1/users/nobody-here")

    assert response.json()["error"]["code"] == "user_not_found"


def test_followers_list_has_no_n_plus_one(creator, user_factory, django_assert_max_num_queries):
    from apps.accounts import services

    for _ in range(15):
        services.follow_create(follower=user_factory(), followee=creator)
    client = client_for(creator)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/users/creator/followers")

    assert len(response.json()["results"]) == 15


def test_block_partner_ids_covers_both_directions(user_factory):
    from apps.accounts import facade, services

    me, blocked_by_me, blocking_me, stranger = (user_factory() for _ in range(4))
    services.block_create(blocker=me, blocked=blocked_by_me)
    services.block_create(blocker=blocking_me, blocked=me)

    assert facade.block_partner_ids(me.pk) == {blocked_by_me.pk, blocking_me.pk}
    assert facade.is_blocked_between(me.pk, blocking_me.pk) and not facade.is_blocked_between(me.pk, stranger.pk)
