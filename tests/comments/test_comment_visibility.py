"""A comment you may not read answers exactly as a missing one, on every endpoint."""

import pytest

from apps.comments.models import Comment
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MISSING = 999_999_999


def answers(client, comment_id):
    calls = {
        "detail": client.get(f"/api/v1/comments/{comment_id}"),
        "delete": client.delete(f"/api/v1/comments/{comment_id}"),
        "hide": client.post(f"/api/v1/comments/{comment_id}/hide", {}, format="json"),
        "unpin": client.delete(f"/api/v1/comments/{comment_id}/pin"),
        "replies": client.get(f"/api/v1/comments/{comment_id}/replies"),
        "like": client.post(f"/api/v1/comments/{comment_id}/like"),
    }
    return {
        name: (r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else None) for name, r in calls.items()
    }


@pytest.mark.parametrize("status", ["hidden", "held"])
def test_a_hidden_comment_answers_non_owners_404_like_a_missing_one(creator, viewer, user_factory, video, status):
    author = user_factory(username="author")
    comment = Comment.objects.create(video=video, author=author, body="x", status=status)

    hidden, missing = answers(client_for(viewer), comment.pk), answers(client_for(viewer), MISSING)

    assert hidden == missing
    assert hidden["delete"] == (404, "comment_not_found")
    assert hidden["hide"] == (404, "comment_not_found")
    assert Comment.objects.get(pk=comment.pk).status == status  # nothing changed


def test_the_creator_and_the_author_still_act_on_a_hidden_comment(creator, viewer, user_factory, video):
    author = user_factory(username="author")
    comment = Comment.objects.create(video=video, author=author, body="x", status="hidden")
    other = Comment.objects.create(video=video, author=author, body="y", status="hidden")

    assert client_for(creator).post(f"/api/v1/comments/{comment.pk}/hide", {}, format="json").status_code == 200
    assert client_for(creator).delete(f"/api/v1/comments/{comment.pk}").status_code == 204
    assert client_for(author).delete(f"/api/v1/comments/{other.pk}").status_code == 204


def test_a_visible_comment_still_answers_403_to_non_owners(creator, viewer, user_factory, video):
    comment = Comment.objects.create(video=video, author=user_factory(), body="x", status="published")

    response = client_for(viewer).post(f"/api/v1/comments/{comment.pk}/hide", {}, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_video_owner")


def test_a_moderator_still_decides_on_a_held_comment(creator, moderator, user_factory, video):
    comment = Comment.objects.create(video=video, author=user_factory(), body="x", status="held")

    response = client_for(moderator).post(
        f"/api/v1/comments/{comment.pk}/moderate", {"outcome": "published"}, format="json"
    )

    assert (response.status_code, response.json()) == (200, {"status": "published"})
