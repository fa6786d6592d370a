from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts import services as accounts
from apps.notifications import services, tasks
from apps.notifications.models import Notification, NotificationSettings

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)


@pytest.fixture
def audience(creator, user_factory, settings):
    settings.NOTIFICATIONS_FANOUT_BATCH = 2
    fans = [user_factory(username=f"follower{i}") for i in range(5)]
    for fan in fans:
        accounts.follow_create(follower=fan, followee=creator)
    return fans


def run_fanout(video_id: int, creator_id: int) -> int:
    cursor, batches = 0, 0
    while cursor is not None:
        cursor = services.new_video_fanout_batch(video_id=video_id, creator_id=creator_id, after_follower_id=cursor)
        batches += 1
    return batches


def test_new_video_fans_out_in_batches_skipping_inactive_and_blocked(creator, audience, video_factory):
    video = video_factory(creator=creator)
    inactive, blocker = audience[0], audience[1]
    NotificationSettings.objects.create(user=inactive, last_seen_at=timezone.now() - timedelta(days=90))
    accounts.block_create(blocker=blocker, blocked=creator)
    services.video_publication_record(video_id=video.pk, creator_id=creator.pk)

    batches = run_fanout(video.pk, creator.pk)
    run_fanout(video.pk, creator.pk)  # every batch redelivered

    assert batches == 3  # 4 followers left after the block: two full batches, then an empty one
    notified = set(Notification.objects.filter(kind="new_video").values_list("recipient_id", flat=True))
    assert notified == {fan.pk for fan in audience[2:]}


def test_inactive_followers_pull_missed_videos_on_return(creator, audience, video_factory):
    video = video_factory(creator=creator)
    inactive = audience[0]
    NotificationSettings.objects.create(user=inactive, last_seen_at=timezone.now() - timedelta(days=90))
    services.video_publication_record(video_id=video.pk, creator_id=creator.pk)
    run_fanout(video.pk, creator.pk)
    assert not Notification.objects.filter(recipient=inactive).exists()

    services.notifications_seen(user=inactive)

    assert list(Notification.objects.filter(recipient=inactive).values_list("kind", "video_id")) == [
        ("new_video", video.pk)
    ]


def test_a_private_video_is_never_fanned_out(creator, audience, video_factory):
    video = video_factory(creator=creator, visibility="private")

    run_fanout(video.pk, creator.pk)

    assert not Notification.objects.exists()


def test_the_task_chains_the_next_batch(creator, audience, video_factory, monkeypatch):
    video = video_factory(creator=creator)
    chained = []
    monkeypatch.setattr(tasks.fanout_new_video, "delay", lambda *args: chained.append(args))

    cursor = tasks.fanout_new_video(video.pk, creator.pk, 0)

    assert chained == [(video.pk, creator.pk, cursor)]
    assert Notification.objects.count() == 2
