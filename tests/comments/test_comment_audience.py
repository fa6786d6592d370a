"""The creator's "who can comment" setting (everyone / followers / nobody) applies to every
comment and reply on their videos; the creator may always comment on their own videos."""

import pytest

from apps.accounts import services as accounts
from apps.comments.models import Comment
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def post(user, video, body, parent=None):
    payload = {"body": body} | ({"parent_id": parent} if parent else {})
    return client_for(user).post(f"/api/v1/videos/{video.pk}/comments", payload, format="json")


def audience(creator, value):
    response = client_for(creator).patch("/api/v1/me/settings", {"who_can_comment": value}, format="json")
    assert response.status_code == 200


def error(response):
    return response.status_code, response.json()["error"]["code"]


def test_followers_only_refuses_strangers_and_admits_followers(creator, viewer, user_factory, video):
    fan = user_factory(username="fan")
    accounts.follow_create(follower=fan, followee=creator)
    audience(creator, "followers")

    by_fan = post(fan, video, "first")
    by_stranger = post(viewer, video, "me too")
    reply_by_stranger = post(viewer, video, "agreed", parent=by_fan.json()["id"])
    by_creator = post(creator, video, "thanks")

    assert by_fan.status_code == 201
    assert error(by_stranger) == (403, "comments_followers_only")
    assert error(reply_by_stranger) == (403, "comments_followers_only")
    assert by_creator.status_code == 201
    assert list(Comment.objects.values_list("body", flat=True).order_by("id")) == ["first", "thanks"]


def test_nobody_turns_comments_off_except_for_the_creator(creator, viewer, user_factory, video):
    fan = user_factory(username="fan")
    accounts.follow_create(follower=fan, followee=creator)
    earlier = post(viewer, video, "before the switch").json()
    audience(creator, "nobody")

    assert error(post(viewer, video, "hi")) == (403, "comments_disabled")
    assert error(post(fan, video, "hi")) == (403, "comments_disabled")
    assert error(post(fan, video, "hi", parent=earlier["id"])) == (403, "comments_disabled")
    assert post(creator, video, "only me", parent=earlier["id"]).status_code == 201
    listing = client_for(fan).get(f"/api/v1/videos/{video.pk}/comments").json()["results"]
    assert [c["body"] for c in listing] == ["before the switch"]  # reading is not affected


def test_unfollowing_loses_the_right_to_comment(creator, viewer, video):
    accounts.follow_create(follower=viewer, followee=creator)
    audience(creator, "followers")
    assert post(viewer, video, "while following").status_code == 201

    accounts.follow_delete(follower=viewer, followee=creator)

    assert error(post(viewer, video, "after unfollowing")) == (403, "comments_followers_only")


def test_on_a_private_account_an_accepted_request_admits(creator, viewer, video_factory):
    creator.is_private = True
    creator.save(update_fields=["is_private"])
    video = video_factory(creator=creator)
    audience(creator, "followers")
    accounts.follow_create(follower=viewer, followee=creator)  # a request: the video stays invisible
    refused = post(viewer, video, "let me in")

    accounts.follow_request_accept(target=creator, requester=viewer)

    assert error(refused) == (404, "video_not_found")
    assert post(viewer, video, "thanks").status_code == 201


def test_the_audience_setting_rejects_unknown_values(creator):
    response = client_for(creator).patch("/api/v1/me/settings", {"who_can_comment": "friends"}, format="json")

    assert response.status_code == 400
    assert client_for(creator).get("/api/v1/me/settings").json()["who_can_comment"] == "everyone"


def test_video_level_switch_still_wins_over_everyone(creator, viewer, video):
    video.allow_comments = False
    video.save(update_fields=["allow_comments"])

    assert error(post(viewer, video, "hi")) == (403, "comments_disabled")
