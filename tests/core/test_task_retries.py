"""Tasks retry transient errors (bounded, backoff with jitter), then leave a dead letter an operator
sees and replays in the admin. Each task runs through Celery's own ``apply`` (eager), so the
retries are the real tasks' configuration, not a test double; transient errors are injected
into one service call."""

import base64
import json
from typing import Any

import pytest
import redis
from cassandra.cluster import NoHostAvailable
from django.conf import settings as django_settings
from django.db import InterfaceError, OperationalError

from apps.accounts import services as accounts
from apps.comments import services as comment_services
from apps.comments import tasks as comment_tasks
from apps.comments.models import Comment, ModerationDecision
from apps.engagement.models import DeadLetter
from apps.notifications import services as notification_services
from apps.notifications import tasks as notification_tasks
from apps.notifications.models import Notification, PushDelivery
from tests.conftest import client_for
from tests.notifications.test_webpush import Receiver, subscribe, vapid  # noqa: F401
from workers.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_retries(monkeypatch: Any) -> None:
    """``apply`` runs a task and its retries in process (no countdown wait); with propagation off,
    a retry is retried rather than raised to the caller, as in a worker."""
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)

TASKS = [
    notification_tasks.record_events,
    notification_tasks.fanout_new_video,
    notification_tasks.send_push,
    comment_tasks.moderate,
]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_the_real_tasks_retry_transient_errors_only_and_a_bounded_number_of_times(task):
    for transient in (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError, NoHostAvailable):
        assert issubclass(transient, task.autoretry_for), transient
    assert not issubclass(ValueError, task.autoretry_for)
    assert not issubclass(redis.ResponseError, task.autoretry_for)  # a bug in a script, not an outage
    assert hasattr(task, "_orig_run")  # Celery wrapped run() with the retry behaviour
    assert task.retry_backoff and task.retry_jitter and task.retry_backoff_max == 300
    expected = django_settings.WEBPUSH_MAX_ATTEMPTS if task is notification_tasks.send_push else 5
    assert task.max_retries == expected


def flaky(monkeypatch: Any, module: Any, name: str, *, failures: int, error: Exception) -> list[int]:
    """Make ``module.name`` raise ``error`` on its first ``failures`` calls; returns the call log."""
    real = getattr(module, name)
    calls: list[int] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, call)
    return calls


def like(actor: Any, creator: Any, video: Any) -> dict[str, Any]:
    return {"kind": "like", "actor_id": actor.pk, "recipient_id": creator.pk, "video_id": video.pk, "event_id": "l:9"}


def test_record_events_retries_a_dropped_connection_and_records_once(creator, viewer, video_factory, monkeypatch):
    video = video_factory(creator=creator)
    calls = flaky(monkeypatch, notification_services, "events_record", failures=1, error=OperationalError("gone"))

    first = notification_tasks.record_events.apply(args=[[like(viewer, creator, video)]])
    second = notification_tasks.record_events.apply(args=[[like(viewer, creator, video)]])  # redelivered

    assert first.successful() and second.successful()
    assert len(calls) == 3  # failed, retried and succeeded; then the redelivery
    row = Notification.objects.get()
    assert (row.kind, row.actor_count) == ("like", 1)
    assert not DeadLetter.objects.exists()


def test_fanout_retries_and_notifies_each_follower_once(creator, user_factory, video_factory, monkeypatch):
    fans = [user_factory() for _ in range(3)]
    for fan in fans:
        accounts.follow_create(follower=fan, followee=creator)
    video = video_factory(creator=creator)
    monkeypatch.setattr(notification_tasks.fanout_new_video, "delay", lambda *args: None)
    calls = flaky(monkeypatch, notification_services, "new_video_fanout_batch", failures=2, error=InterfaceError())

    assert notification_tasks.fanout_new_video.apply(args=[video.pk, creator.pk, 0]).successful()
    assert notification_tasks.fanout_new_video.apply(args=[video.pk, creator.pk, 0]).successful()

    assert len(calls) == 4
    notified = sorted(Notification.objects.filter(kind="new_video").values_list("recipient_id", flat=True))
    assert notified == sorted(fan.pk for fan in fans)


def test_moderate_retries_and_decides_once(creator, viewer, video_factory, monkeypatch, settings):
    settings.COMMENTS_CLASSIFIER = "tests.comments.test_comments_api.rude_classifier"
    video = video_factory(creator=creator)
    posted = client_for(viewer).post(f"/api/v1/videos/{video.pk}/comments", {"body": "you are rude"}, format="json")
    comment_id = posted.json()["id"]
    calls = flaky(monkeypatch, comment_services, "comment_classify", failures=1, error=redis.ConnectionError())

    assert comment_tasks.moderate.apply(args=[comment_id]).successful()
    assert comment_tasks.moderate.apply(args=[comment_id]).successful()

    assert len(calls) == 3
    assert Comment.objects.get(pk=comment_id).status == "hidden"
    assert ModerationDecision.objects.filter(comment_id=comment_id, decided_by="classifier").count() == 1


def test_a_bug_is_not_retried_but_is_dead_lettered(creator, viewer, video_factory, monkeypatch):
    video = video_factory(creator=creator)
    calls = flaky(monkeypatch, notification_services, "events_record", failures=99, error=ValueError("a bug"))

    result = notification_tasks.record_events.apply(args=[[like(viewer, creator, video)]], throw=False)

    assert result.failed() and len(calls) == 1
    assert DeadLetter.objects.get().reason == "task_failed:ValueError"


def _broker_messages(task_name: str) -> list[dict[str, Any]]:
    """Take the messages for ``task_name`` off the real broker (Redis), as a worker would."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    found = []
    for key in client.scan_iter(match="notifications*"):
        if client.type(key) != b"list":
            continue
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            if message["headers"]["task"] == task_name:
                client.lrem(key, 1, raw)
                args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
                found.append({"args": args, "kwargs": kwargs})
    return found


def test_retries_exhausted_leave_one_dead_letter_that_the_admin_replays(
    creator, viewer, video_factory, monkeypatch, client, django_user_model
):
    video = video_factory(creator=creator)
    calls = flaky(monkeypatch, notification_services, "events_record", failures=99, error=OperationalError("down"))
    event = like(viewer, creator, video)

    result = notification_tasks.record_events.apply(args=[[event]], task_id="t-1", throw=False)
    again = notification_tasks.record_events.apply(args=[[event]], task_id="t-1", throw=False)  # redelivered

    assert result.failed() and again.failed()
    assert len(calls) == 2 * (notification_tasks.record_events.max_retries + 1)
    letter = DeadLetter.objects.get()  # one per task id
    assert (letter.kind, letter.task_name, letter.stream_id, letter.status) == (
        "task",
        "notifications.record_events",
        "t-1",
        "dead",
    )
    assert letter.reason == "task_failed:OperationalError"
    assert not Notification.objects.exists()

    # The database is back; an operator sees the letter in the admin and replays it.
    monkeypatch.undo()
    _broker_messages("notifications.record_events")  # nothing stale from elsewhere
    admin = django_user_model.objects.create_superuser(username="root", password="pw-12345678", email="r@x.test")
    client.force_login(admin)
    listing = client.get("/admin/engagement/deadletter/?kind__exact=task")
    assert listing.status_code == 200 and b"notifications.record_events" in listing.content
    replay = {"action": "replay", "_selected_action": [letter.pk]}
    assert client.post("/admin/engagement/deadletter/", replay).status_code == 302
    assert client.post("/admin/engagement/deadletter/", replay).status_code == 302  # a double click

    sent = _broker_messages("notifications.record_events")
    assert sent == [{"args": [[event]], "kwargs": {}}]  # sent once
    assert DeadLetter.objects.get().status == "replayed"
    for message in sent:  # what the worker does with it
        notification_tasks.record_events.apply(args=message["args"], kwargs=message["kwargs"])
    assert Notification.objects.get().actor_count == 1


def test_send_push_retries_a_transient_database_error_and_pushes_once(
    creator,
    viewer,
    video_factory,
    monkeypatch,
    vapid,  # noqa: F811
):
    with Receiver() as receiver:
        subscribe(creator, receiver)
        notification_tasks.record_events([like(viewer, creator, video_factory(creator=creator))])
        delivery = PushDelivery.objects.get()
        calls = flaky(monkeypatch, notification_services, "push_delivery_attempt", failures=1, error=OperationalError())

        first = notification_tasks.send_push.apply(args=[delivery.pk])
        second = notification_tasks.send_push.apply(args=[delivery.pk])

    assert first.get() == second.get() == "sent"
    assert len(calls) == 3 and len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
