"""Live counters over /ws/videos/<id>/: snapshots, permission, coalescing."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
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


@pytest.mark.parametrize("likes", [40])
def test_pushes_are_coalesced_however_hot_the_video(user_factory, creator, video_factory, monkeypatch, likes):
    video = video_factory(creator=creator)
    scheduled = []
    monkeypatch.setattr(tasks.push_counters, "apply_async", lambda args, countdown: scheduled.append((args, countdown)))

    for fan in [user_factory() for _ in range(likes)]:
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")

    # One trailing-edge push per interval (250 ms): 40 likes in well under a second give 1-4.
    assert 1 <= len(scheduled) <= 4
    assert all(args == (video.pk,) and countdown == 0.25 for args, countdown in scheduled)
