from typing import Any

import pytest

from apps.accounts import services as accounts
from apps.notifications import facade, selectors, services, tasks
from apps.notifications.models import Notification, NotificationActor
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)
T0 = 1_790_000_000.0  # inside one aggregation window


def like(actor_id: int, creator_id: int, video_id: int, at: float = T0) -> dict[str, Any]:
    return {
        "kind": "like",
        "actor_id": actor_id,
        "recipient_id": creator_id,
        "video_id": video_id,
        "event_id": f"like:{actor_id}:{video_id}",
        "occurred_at": at,
    }


def test_a_burst_of_1000_likes_is_one_row_with_an_exact_count(creator, video_factory, many_users):
    video = video_factory(creator=creator)
    fans = many_users(1000)
    events = [like(uid, creator.pk, video.pk) for uid in fans]

    for start in range(0, 1000, 250):  # engagement hands over batches
        tasks.record_events(events[start : start + 250])
    tasks.record_events(events[:250])  # a redelivered batch

    rows = list(Notification.objects.filter(recipient=creator))
    assert len(rows) == 1
    assert rows[0].actor_count == 1000
    assert NotificationActor.objects.filter(notification=rows[0]).count() == 1000
    text = selectors.notifications_render(rows)[0]["text"]
    assert text == "fan0999, fan0998 and 998 others liked your video"


def test_likes_in_another_window_or_after_reading_open_a_new_row(creator, video_factory, many_users):
    video = video_factory(creator=creator)
    a, b, c = many_users(3)
    tasks.record_events([like(a, creator.pk, video.pk)])
    services.notifications_mark_all_read(user=creator)
    tasks.record_events([like(b, creator.pk, video.pk)])
    tasks.record_events([like(c, creator.pk, video.pk, at=T0 + 7 * 3600)])

    assert Notification.objects.filter(recipient=creator).count() == 3
    assert selectors.unread_count(user=creator) == 2


def test_no_notification_for_own_actions_or_across_a_block(creator, viewer, video_factory):
    video = video_factory(creator=creator)
    accounts.block_create(blocker=creator, blocked=viewer)

    tasks.record_events([like(creator.pk, creator.pk, video.pk), like(viewer.pk, creator.pk, video.pk)])

    assert Notification.objects.count() == 0


def test_a_disabled_kind_creates_nothing(creator, viewer, video_factory):
    video = video_factory(creator=creator)
    services.settings_update(user=creator, kinds={"like": {"in_app": False}})

    tasks.record_events([like(viewer.pk, creator.pk, video.pk)])

    assert Notification.objects.count() == 0


def test_facade_enqueues_only_after_commit(creator, viewer, django_capture_on_commit_callbacks, monkeypatch):
    sent: list[Any] = []
    monkeypatch.setattr(tasks.record_events, "delay", lambda batch: sent.append(batch))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        facade.notify_event(kind="like", actor_id=viewer.pk, target_user_id=creator.pk, video_id=1, event_id="like:x")
        assert sent == []
    for callback in callbacks:
        callback()

    assert len(sent) == 1
    assert sent[0][0]["kind"] == "like" and sent[0][0]["recipient_id"] == creator.pk


def test_unknown_kind_is_refused_by_the_facade(creator):
    with pytest.raises(ValueError, match="unknown notification kind"):
        facade.notify_event(kind="poke", actor_id=1, target_user_id=creator.pk, event_id="e")


def test_processing_finished_reaches_the_creator_once(
    creator, video_factory, monkeypatch, django_capture_on_commit_callbacks
):
    video = video_factory(creator=creator)
    batches: list[Any] = []
    monkeypatch.setattr(tasks.record_events, "delay", lambda batch: batches.append(batch))
    with django_capture_on_commit_callbacks(execute=True):
        facade.notify_video_processed(video_id=video.pk, creator_id=creator.pk)

    tasks.record_events(batches[0])
    tasks.record_events(batches[0])

    row = Notification.objects.get(recipient=creator)
    assert row.kind == "processing_finished"
    assert selectors.notifications_render([row])[0]["text"] == "Your video is ready."


def test_inbox_api_lists_counts_and_marks_read(creator, viewer, video_factory, many_users):
    video = video_factory(creator=creator)
    a, b = many_users(2)
    tasks.record_events([like(a, creator.pk, video.pk), like(b, creator.pk, video.pk)])
    tasks.record_events(
        [
            {
                "kind": "follow",
                "actor_id": viewer.pk,
                "recipient_id": creator.pk,
                "event_id": "follow:1",
                "occurred_at": T0,
            }
        ]
    )
    client = client_for(creator)

    listing = client.get("/api/v1/notifications").json()
    assert [n["text"] for n in listing["results"]] == [
        "viewer started following you",
        "fan0001 and fan0000 liked your video",
    ]
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread_count": 2}

    first = listing["results"][0]["id"]
    assert client.post(f"/api/v1/notifications/{first}/read").json()["is_read"] is True
    assert client.get("/api/v1/notifications/unread-count").json() == {"unread_count": 1}
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 1}


def test_marking_someone_elses_notification_is_a_404_that_changes_nothing(creator, viewer, video_factory):
    video = video_factory(creator=creator)
    tasks.record_events([like(viewer.pk, creator.pk, video.pk)])
    row = Notification.objects.get()

    response = client_for(viewer).post(f"/api/v1/notifications/{row.pk}/read")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "notification_not_found"
    row.refresh_from_db()
    assert row.is_read is False


def test_preferences_api_validates_kinds_and_mutes(creator):
    client = client_for(creator)

    bad = client.patch("/api/v1/notifications/preferences", {"kinds": {"poke": {"push": False}}}, format="json")
    good = client.patch(
        "/api/v1/notifications/preferences",
        {"kinds": {"like": {"push": False}}, "muted_until": "2099-01-01T00:00:00Z"},
        format="json",
    )

    assert bad.status_code == 400
    assert good.status_code == 200
    assert good.json()["kinds"] == {"like": {"push": False}}
    assert good.json()["muted_until"].startswith("2099-01-01")


def test_inbox_needs_authentication(api):
    assert api.get("/api/v1/notifications").status_code == 401


def test_inbox_queries_do_not_grow_with_page_size(creator, video_factory, many_users, django_assert_max_num_queries):
    fans = many_users(20)
    for fan in fans:
        video = video_factory(creator=creator)
        tasks.record_events([like(fan, creator.pk, video.pk)])
    client = client_for(creator)

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/notifications?limit=20")

    assert len(response.json()["results"]) == 20
