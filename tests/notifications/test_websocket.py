import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts import services as accounts
from apps.notifications import tasks
from settings.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def in_own_loop(test):
    """Run an async test on a fresh event loop in its own thread: a session fixture elsewhere
    (Playwright's sync API) may keep a loop running in the main thread."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


def access_token(user) -> str:
    return accounts.tokens_for_user(user=user)["access"]


async def connect(path: str, **kwargs) -> tuple[WebsocketCommunicator, bool, object]:
    communicator = WebsocketCommunicator(application, path, **kwargs)
    connected, detail = await communicator.connect(timeout=5)
    return communicator, connected, detail


@in_own_loop
async def test_token_in_the_subprotocol_receives_live_notifications(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    token = await database_sync_to_async(access_token)(creator)
    ws, connected, subprotocol = await connect("/ws/notifications/", subprotocols=["bearer", token])
    assert connected and subprotocol == "bearer"
    assert await ws.receive_json_from(timeout=5) == {"type": "hello", "unread_count": 0}

    event = {"kind": "like", "actor_id": viewer.pk, "recipient_id": creator.pk, "video_id": video.pk, "event_id": "l1"}
    await database_sync_to_async(tasks.record_events)([event])

    message = await ws.receive_json_from(timeout=5)
    assert message["type"] == "notification"
    assert message["notification"]["text"] == "viewer liked your video"
    await ws.disconnect()


@in_own_loop
async def test_token_in_the_query_string_works_and_others_get_nothing(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    token = await database_sync_to_async(access_token)(viewer)
    ws, connected, _ = await connect(f"/ws/notifications/?token={token}")
    assert connected
    await ws.receive_json_from(timeout=5)

    event = {"kind": "like", "actor_id": viewer.pk, "recipient_id": creator.pk, "video_id": video.pk, "event_id": "l2"}
    await database_sync_to_async(tasks.record_events)([event])

    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


@in_own_loop
async def test_no_or_bad_token_is_closed_4401(db):
    for path in ("/ws/notifications/", "/ws/notifications/?token=garbage"):
        _ws, connected, code = await connect(path)
        assert not connected
        assert code == 4401


@in_own_loop
async def test_a_foreign_browser_origin_is_rejected(creator):
    token = await database_sync_to_async(access_token)(creator)
    _ws, connected, _ = await connect(
        f"/ws/notifications/?token={token}", headers=[(b"origin", b"https://evil.example")]
    )
    assert not connected


@in_own_loop
async def test_an_allowed_origin_is_accepted(creator):
    token = await database_sync_to_async(access_token)(creator)
    ws, connected, _ = await connect(f"/ws/notifications/?token={token}", headers=[(b"origin", b"http://localhost")])
    assert connected
    await ws.disconnect()


@in_own_loop
async def test_presence_follows_open_sockets(creator):
    from apps.notifications import realtime

    token = await database_sync_to_async(access_token)(creator)
    first, _, _ = await connect(f"/ws/notifications/?token={token}")
    second, _, _ = await connect(f"/ws/notifications/?token={token}")
    await first.receive_json_from(timeout=5)
    await second.receive_json_from(timeout=5)
    assert await database_sync_to_async(realtime.online)([creator.pk]) == {creator.pk}

    await first.disconnect()
    assert await database_sync_to_async(realtime.online)([creator.pk]) == {creator.pk}
    await second.disconnect()
    assert await database_sync_to_async(realtime.online)([creator.pk]) == set()


def test_notifications_of_users_without_a_socket_are_not_rendered_or_published(
    creator, viewer, user_factory, video_factory, monkeypatch
):
    from apps.notifications import realtime
    from apps.notifications.models import Notification

    published = []
    monkeypatch.setattr(realtime, "publish_many", published.append)
    video = video_factory(creator=creator)
    event = {"kind": "like", "actor_id": viewer.pk, "recipient_id": creator.pk, "video_id": video.pk, "event_id": "l9"}

    tasks.record_events([event])

    assert Notification.objects.filter(recipient=creator).count() == 1  # in the inbox
    assert published == []  # nobody listening: nothing rendered or sent

    realtime.socket_opened(creator.pk)
    try:
        tasks.record_events([{**event, "event_id": "l10", "actor_id": user_factory().pk}])
    finally:
        realtime.socket_closed(creator.pk)
    [[(recipient_id, message)]] = published
    assert recipient_id == creator.pk and message["type"] == "notification"
