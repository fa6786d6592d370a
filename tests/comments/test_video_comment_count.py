"""Video.comment_count: what other viewers can see (published, not shadow-hidden, by an active
author; replies only under a visible root). Never written in the request; the batched flush
recounts each touched video and writes it with one UPDATE."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.comments import services, tasks
from apps.comments.models import Comment, ShadowRestriction
from apps.videos import facade as videos
from apps.videos.models import Video
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
VIDEO_TABLE = Video._meta.db_table


def video_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{VIDEO_TABLE}"')]


def shown_count(video, user) -> int:
    return client_for(user).get(f"/api/v1/videos/{video.pk}").json()["comment_count"]


def test_fifty_comments_are_one_update_with_the_exact_count(video, user_factory, creator):
    fans = [user_factory() for _ in range(50)]
    with CaptureQueriesContext(connection) as in_requests:
        for i, fan in enumerate(fans):
            services.comment_create(user=fan, video_id=video.pk, body=f"comment {i}")
    assert video_updates(in_requests.captured_queries) == []  # no hot row in the request path

    with CaptureQueriesContext(connection) as flush:
        tasks.flush_counts()

    assert len(video_updates(flush.captured_queries)) == 1
    assert shown_count(video, creator) == 50


@pytest.mark.embedded
def test_a_redelivered_flush_changes_no_row(video, viewer, creator):
    services.comment_create(user=viewer, video_id=video.pk, body="hi")
    tasks.flush_counts()

    services.video_comment_counts_flush(video_ids=[video.pk])  # redelivered
    changed = videos.video_comment_counts_set({video.pk: 1})  # what it handed over

    assert changed == 0  # the guarded UPDATE matches no row: no write, no row lock
    assert shown_count(video, creator) == 1


@pytest.mark.embedded
def test_the_writer_clamps_and_ignores_unknown_videos(video, creator):
    assert videos.video_comment_counts_set({video.pk: -3, 987_654: 5}) == 0
    assert videos.video_comment_counts_set({video.pk: 7}) == 1
    assert shown_count(video, creator) == 7


def test_deleting_and_hiding_decrement_after_the_flush(video, creator, viewer, user_factory):
    ana = user_factory(username="ana")
    root = services.comment_create(user=viewer, video_id=video.pk, body="root")
    reply = services.comment_create(user=ana, video_id=video.pk, body="reply", parent_id=root.pk)
    other = services.comment_create(user=ana, video_id=video.pk, body="other")
    tasks.flush_counts()
    assert shown_count(video, creator) == 3

    client_for(ana).delete(f"/api/v1/comments/{reply.pk}")
    client_for(creator).post(f"/api/v1/comments/{other.pk}/hide", {}, format="json")
    assert shown_count(video, creator) == 3  # coalesced: nothing written until the flush
    tasks.flush_counts()

    assert shown_count(video, creator) == 1


@pytest.mark.embedded
def test_replies_under_a_deleted_root_stop_counting(video, creator, viewer, user_factory):
    root = services.comment_create(user=viewer, video_id=video.pk, body="root")
    for fan in [user_factory() for _ in range(3)]:
        services.comment_create(user=fan, video_id=video.pk, body="reply", parent_id=root.pk)
    tasks.flush_counts()
    assert shown_count(video, creator) == 4

    services.comment_delete(comment=root, user=viewer)
    tasks.flush_counts()

    assert shown_count(video, creator) == 0


@pytest.mark.embedded
def test_comments_others_cannot_see_are_not_counted(video, creator, viewer, user_factory):
    shadow = user_factory(username="shadow")
    ShadowRestriction.objects.create(user=shadow, reason="abuse")
    services.comment_create(user=viewer, video_id=video.pk, body="visible")
    services.comment_create(user=viewer, video_id=video.pk, body="see https://spam.example")  # held
    services.comment_create(user=shadow, video_id=video.pk, body="only I see this")
    tasks.flush_counts()

    assert shown_count(video, creator) == 1
    assert Comment.objects.filter(video=video).count() == 3


@pytest.mark.embedded
def test_a_moderator_publishing_a_held_comment_increments(video, creator, viewer, moderator):
    held = services.comment_create(user=viewer, video_id=video.pk, body="see https://ok.example")
    tasks.flush_counts()
    assert shown_count(video, creator) == 0

    services.moderator_decide(comment=held, moderator=moderator, outcome="published", reason="fine")
    tasks.flush_counts()

    assert shown_count(video, creator) == 1


def test_a_flush_before_the_commit_is_followed_by_one_after_it(
    video, viewer, creator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.comment_create(user=viewer, video_id=video.pk, body="racing")
        services.video_comment_counts_flush()  # a beat flush popping the id before the commit
    assert services.video_comment_counts_flush() == 0

    for callback in callbacks:
        callback()

    assert services.video_comment_counts_flush() == 1  # the commit put the video back
