"""Following tells the followee, through notifications (after commit, deduplicated by event id)."""

from typing import Any

import pytest

from apps.accounts import services as accounts
from apps.notifications import tasks as notification_tasks
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]  # also on the embedded default (SQLite)


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[dict]:
    """Events handed to the notifications queue, flattened."""
    events: list[dict] = []
    monkeypatch.setattr(notification_tasks.record_events, "delay", lambda batch: events.extend(batch))
    return events


def deliver(events: list[dict]) -> None:
    """What the notifications worker does, twice: a redelivered task must change nothing."""
    notification_tasks.record_events(events)
    notification_tasks.record_events(events)


def inbox(user: Any) -> list[dict]:
    return client_for(user).get("/api/v1/notifications").json()["results"]


def test_following_a_public_account_notifies_the_followee_once(
    creator, viewer, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(viewer).post("/api/v1/users/creator/follow")
        client_for(viewer).post("/api/v1/users/creator/follow")  # already following: no second event

    assert [(e["kind"], e["event_id"]) for e in enqueued] == [("follow", f"follow:{viewer.pk}:{creator.pk}")]
    deliver(enqueued)
    rows = inbox(creator)
    assert [(r["kind"], r["text"], r["actor_count"]) for r in rows] == [("follow", "viewer started following you", 1)]
    assert inbox(viewer) == []


def test_unfollow_and_follow_again_does_not_notify_twice(creator, viewer, enqueued, django_capture_on_commit_callbacks):
    client = client_for(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/users/creator/follow")
        client.delete("/api/v1/users/creator/follow")
        client.post("/api/v1/users/creator/follow")

    deliver(enqueued)

    assert [r["actor_count"] for r in inbox(creator)] == [1]


def test_asking_to_follow_a_private_account_notifies_a_request_once(
    creator, viewer, enqueued, django_capture_on_commit_callbacks
):
    creator.is_private = True
    creator.save(update_fields=["is_private"])

    with django_capture_on_commit_callbacks(execute=True):
        client_for(viewer).post("/api/v1/users/creator/follow")
        client_for(viewer).post("/api/v1/users/creator/follow")  # the request exists already

    assert [(e["kind"], e["event_id"]) for e in enqueued] == [
        ("follow_request", f"follow_request:{viewer.pk}:{creator.pk}")
    ]
    deliver(enqueued)
    assert [(r["kind"], r["text"]) for r in inbox(creator)] == [("follow_request", "viewer asked to follow you")]


def test_accepting_a_request_sends_no_follow_notification(
    creator, viewer, enqueued, django_capture_on_commit_callbacks
):
    creator.is_private = True
    creator.save(update_fields=["is_private"])
    client_for(viewer).post("/api/v1/users/creator/follow")
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        client_for(creator).post("/api/v1/me/follow-requests/viewer")

    assert enqueued == []


def test_refused_follows_notify_nobody(creator, viewer, enqueued, django_capture_on_commit_callbacks):
    accounts.block_create(blocker=creator, blocked=viewer)

    with django_capture_on_commit_callbacks(execute=True):
        blocked = client_for(viewer).post("/api/v1/users/creator/follow")
        self_follow = client_for(viewer).post("/api/v1/users/viewer/follow")

    assert (blocked.status_code, blocked.json()["error"]["code"]) == (404, "user_not_found")
    assert (self_follow.status_code, self_follow.json()["error"]["code"]) == (400, "cannot_follow_self")
    assert enqueued == []
