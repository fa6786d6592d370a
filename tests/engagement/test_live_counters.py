"""Live counters over /ws/videos/<id>/: snapshots, permission, coalescing."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts import services as accounts
from apps.engagement import realtime, tasks
from apps.videos.models import Video
from settings.asgi import application
from tests.conftest import CASSANDRA, client_for

pytestmark = CASSANDRA


def in_own_loop(test):
    """A fresh event loop in its own thread (a browser fixture may hold one in this thread)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


def token(user) -> str:
    return accounts.tokens_for_user(user=user)["access"]


async def connect(path, **kwargs):
    ws = WebsocketCommunicator(application, path, **kwargs)
    connected, detail = await ws.connect(timeout=5)
    return ws, connected, detail


@in_own_loop
async def test_subscriber_gets_a_snapshot_then_pushed_updates(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    ws, connected, subprotocol = await connect(
        f"/ws/videos/{video.pk}/", subprotocols=["bearer", await database_sync_to_async(token)(viewer)]
    )
    assert connected and subprotocol == "bearer"
    first = await ws.receive_json_from(timeout=5)
    assert (first["type"], first["video_id"], first["likes"]) == ("counters", video.pk, 0)

    await database_sync_to_async(lambda: client_for(viewer).post(f"/api/v1/videos/{video.pk}/like"))()
    await database_sync_to_async(realtime.push_snapshot)(video.pk)  # what the push task does

    update = await ws.receive_json_from(timeout=5)
    assert update["likes"] == 1 and update["ts"] >= first["ts"]
    await ws.disconnect()


@in_own_loop
async def test_anonymous_may_watch_a_public_video(creator, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    ws, connected, _ = await connect(f"/ws/videos/{video.pk}/")
    assert connected
    assert (await ws.receive_json_from(timeout=5))["views"] == 0
    await ws.disconnect()


@in_own_loop
async def test_a_video_you_may_not_see_is_refused(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator, visibility=Video.Visibility.FOLLOWERS)
    _ws, connected, code = await connect(
        f"/ws/videos/{video.pk}/", subprotocols=["bearer", await database_sync_to_async(token)(viewer)]
    )
    assert not connected and code == 4404

    owner_ws, owner_connected, _ = await connect(
        f"/ws/videos/{video.pk}/?token={await database_sync_to_async(token)(creator)}"
    )
    assert owner_connected
    await owner_ws.disconnect()


@in_own_loop
async def test_a_bad_token_is_refused(creator, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    _ws, connected, code = await connect(f"/ws/videos/{video.pk}/?token=garbage")
    assert not connected and code == 4401


@in_own_loop
async def test_a_foreign_origin_is_refused(creator, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    _ws, connected, _ = await connect(f"/ws/videos/{video.pk}/", headers=[(b"origin", b"https://evil.example")])
    assert not connected


def test_a_hot_video_is_one_snapshot_per_pusher_round(user_factory, creator, video_factory, monkeypatch):
    video, other, unwatched = (video_factory(creator=creator) for _ in range(3))
    realtime.watch_started(video.pk)
    realtime.watch_started(other.pk)
    published = []
    monkeypatch.setattr(realtime, "_publish", lambda payloads: published.append(payloads))
    delayed = []
    monkeypatch.setattr(tasks.drain, "apply_async", lambda *args, **kwargs: delayed.append(1))

    for fan in [user_factory() for _ in range(40)]:
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")
    client_for(creator).post(f"/api/v1/videos/{other.pk}/like")
    client_for(creator).post(f"/api/v1/videos/{unwatched.pk}/like")  # nobody to push it to

    assert realtime.push_pending() == 2
    assert realtime.push_pending() == 0  # nothing changed since
    [snapshots] = published
    by_video = {p["video_id"]: p for p in snapshots}
    assert by_video[video.pk]["likes"] == 40 and by_video[other.pk]["likes"] == 1
    assert len(delayed) <= 2  # 41 likes in well under a second: at most a couple of drain kicks


@in_own_loop
async def test_only_watched_videos_are_pushed_and_a_closed_socket_stops_the_pushes(creator, viewer, video_factory):
    from apps.engagement import redis_keys as keys
    from apps.engagement.redis_scripts import client as redis_client

    video = await database_sync_to_async(video_factory)(creator=creator)
    like = database_sync_to_async(lambda: client_for(viewer).post(f"/api/v1/videos/{video.pk}/like"))
    unlike = database_sync_to_async(lambda: client_for(viewer).delete(f"/api/v1/videos/{video.pk}/like"))
    first, first_connected, _ = await connect(f"/ws/videos/{video.pk}/")
    second, second_connected, _ = await connect(f"/ws/videos/{video.pk}/")
    assert first_connected and second_connected
    assert redis_client().hget(keys.WATCHERS, str(video.pk)) == b"2"

    await first.disconnect()
    await like()
    assert await database_sync_to_async(realtime.push_pending)() == 1  # the second still watches
    await second.disconnect()

    assert redis_client().hget(keys.WATCHERS, str(video.pk)) is None
    await unlike()
    assert await database_sync_to_async(realtime.push_pending)() == 0


@in_own_loop
async def test_the_pusher_reaches_websocket_subscribers(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    ws, connected, _ = await connect(f"/ws/videos/{video.pk}/")
    assert connected
    await ws.receive_json_from(timeout=5)

    await database_sync_to_async(lambda: client_for(viewer).post(f"/api/v1/videos/{video.pk}/like"))()
    await database_sync_to_async(realtime.push_pending)()

    assert (await ws.receive_json_from(timeout=5))["likes"] == 1
    await ws.disconnect()


def test_pusher_command_runs_rounds(creator, viewer, video_factory, monkeypatch):
    from django.core.management import call_command

    video = video_factory(creator=creator)
    realtime.watch_started(video.pk)
    client_for(viewer).post(f"/api/v1/videos/{video.pk}/like")
    published = []
    monkeypatch.setattr(realtime, "_publish", lambda payloads: published.extend(payloads))

    call_command("engagement_pusher", rounds=2)

    assert [p["likes"] for p in published] == [1]
