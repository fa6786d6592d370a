"""Open websockets keep being authorised: logout-all, a block, the creator going private, the
video hidden and an expired token each close them within a few WS_RECHECK_MS ticks, and
nothing more reaches them. Real commits (transactional tests), so the access epochs move as
they do in production."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts import services as accounts
from apps.engagement import access, realtime
from apps.notifications import realtime as notification_realtime
from settings.asgi import application
from tests.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_WITHIN_S = 3


@pytest.fixture(autouse=True)
def _fast_rechecks(settings):
    settings.WS_RECHECK_MS = 200
    access.clear()
    yield
    access.clear()


def in_own_loop(test):
    @functools.wraps(test)
    def run(*args, **kwargs):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


def token(user, *, lifetime: timedelta | None = None) -> str:
    raw = accounts.tokens_for_user(user=user)["access"]
    if lifetime is None:
        return raw
    short = AccessToken(raw)
    short.set_exp(lifetime=lifetime)
    return str(short)


async def connect(path, user=None, **kwargs):
    if user is not None:
        kwargs["subprotocols"] = ["bearer", await database_sync_to_async(token)(user, **kwargs.pop("token_kw", {}))]
    ws = WebsocketCommunicator(application, path, **kwargs)
    connected, detail = await ws.connect(timeout=5)
    assert connected, detail
    await ws.receive_json_from(timeout=5)  # the first snapshot / hello
    return ws


async def close_code(ws, timeout=CLOSED_WITHIN_S):
    """The code the server closed the socket with (TimeoutError if it stays open)."""
    while True:
        message = await ws.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            return message.get("code")


def api(user, method, path, data=None):
    client = client_for(user)
    return getattr(client, method)(f"/api/v1/{path}", data, format="json")


push = database_sync_to_async(realtime.push_snapshot)


@in_own_loop
async def test_logout_all_closes_both_sockets_4401(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    counters = await connect(f"/ws/videos/{video.pk}/", viewer)
    inbox = await connect("/ws/notifications/", viewer)

    response = await database_sync_to_async(api)(viewer, "post", "auth/logout-all")
    assert response.status_code == 204

    assert await close_code(counters) == 4401
    assert await close_code(inbox) == 4401
    await push(video.pk)
    await database_sync_to_async(notification_realtime.publish_many)([(viewer.pk, {"type": "notification"})])
    assert await counters.receive_nothing(timeout=0.5)
    assert await inbox.receive_nothing(timeout=0.5)


@in_own_loop
async def test_a_block_closes_the_blocked_viewers_socket_4404(creator, viewer, user_factory, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    bystander = await database_sync_to_async(user_factory)()
    blocked = await connect(f"/ws/videos/{video.pk}/", viewer)
    other = await connect(f"/ws/videos/{video.pk}/", bystander)

    response = await database_sync_to_async(api)(creator, "post", f"users/{viewer.username}/block")
    assert response.status_code in (200, 201, 204)

    assert await close_code(blocked) == 4404
    await push(video.pk)
    assert await blocked.receive_nothing(timeout=0.5)
    assert (await other.receive_json_from(timeout=2))["type"] == "counters"  # others unaffected
    await other.disconnect()


@in_own_loop
async def test_the_creator_going_private_closes_non_followers_sockets_4404(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    signed_in = await connect(f"/ws/videos/{video.pk}/", viewer)
    anonymous = await connect(f"/ws/videos/{video.pk}/")
    owner = await connect(f"/ws/videos/{video.pk}/", creator)

    response = await database_sync_to_async(api)(creator, "patch", "me", {"is_private": True})
    assert response.status_code == 200

    assert await close_code(signed_in) == 4404
    assert await close_code(anonymous) == 4404
    await push(video.pk)
    assert (await owner.receive_json_from(timeout=2))["type"] == "counters"
    await owner.disconnect()


@in_own_loop
async def test_unfollowing_closes_the_socket_of_a_followers_only_video_4404(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator, visibility="followers")
    assert (await database_sync_to_async(api)(viewer, "post", f"users/{creator.username}/follow")).status_code == 200
    ws = await connect(f"/ws/videos/{video.pk}/", viewer)
    owner = await connect(f"/ws/videos/{video.pk}/", creator)

    response = await database_sync_to_async(api)(viewer, "delete", f"users/{creator.username}/follow")
    assert response.status_code == 200

    assert await close_code(ws) == 4404
    await push(video.pk)
    assert await ws.receive_nothing(timeout=0.5)
    assert (await owner.receive_json_from(timeout=2))["type"] == "counters"
    await owner.disconnect()


@in_own_loop
async def test_hiding_the_video_closes_others_sockets_4404(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    ws = await connect(f"/ws/videos/{video.pk}/", viewer)

    response = await database_sync_to_async(api)(creator, "patch", f"videos/{video.pk}", {"visibility": "private"})
    assert response.status_code == 200

    assert await close_code(ws) == 4404
    await push(video.pk)
    assert await ws.receive_nothing(timeout=0.5)


@in_own_loop
async def test_an_expired_token_closes_the_socket_4401(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    counters = await connect(f"/ws/videos/{video.pk}/", viewer, token_kw={"lifetime": timedelta(seconds=2)})
    inbox = await connect("/ws/notifications/", viewer, token_kw={"lifetime": timedelta(seconds=2)})

    assert await close_code(counters, timeout=4) == 4401
    assert await close_code(inbox, timeout=2) == 4401
    await push(video.pk)
    assert await counters.receive_nothing(timeout=0.5)


@in_own_loop
async def test_a_socket_that_may_still_see_the_video_stays_open(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    ws = await connect(f"/ws/videos/{video.pk}/", viewer)

    await database_sync_to_async(api)(creator, "patch", f"videos/{video.pk}", {"caption": "new words"})
    await asyncio.sleep(0.6)  # several rechecks, one after an epoch moved

    await push(video.pk)
    assert (await ws.receive_json_from(timeout=2))["type"] == "counters"
    await ws.disconnect()


@in_own_loop
async def test_hidden_like_counts_are_null_on_the_socket_except_for_the_creator(creator, viewer, video_factory):
    video = await database_sync_to_async(video_factory)(creator=creator)
    await database_sync_to_async(api)(viewer, "post", f"videos/{video.pk}/like")
    shown = await connect(f"/ws/videos/{video.pk}/", viewer)

    await database_sync_to_async(api)(creator, "patch", "me/settings", {"show_like_counts": False})
    await asyncio.sleep(0.6)  # the open socket rechecks and reads the new setting
    await push(video.pk)
    assert (await shown.receive_json_from(timeout=2))["likes"] is None

    fresh = WebsocketCommunicator(
        application, f"/ws/videos/{video.pk}/", subprotocols=["bearer", await database_sync_to_async(token)(viewer)]
    )
    assert (await fresh.connect(timeout=5))[0]
    first = await fresh.receive_json_from(timeout=5)
    assert first["likes"] is None and first["views"] == 0
    owner = WebsocketCommunicator(
        application, f"/ws/videos/{video.pk}/?token={await database_sync_to_async(token)(creator)}"
    )
    assert (await owner.connect(timeout=5))[0]
    assert (await owner.receive_json_from(timeout=5))["likes"] == 1
    for ws in (shown, fresh, owner):
        await ws.disconnect()


@in_own_loop
async def test_a_scheduled_video_refuses_the_socket_until_due(creator, viewer, video_factory):
    from datetime import UTC, datetime

    later = datetime.now(UTC) + timedelta(hours=1)
    video = await database_sync_to_async(video_factory)(creator=creator, published_at=later)
    viewer_token = await database_sync_to_async(token)(viewer)

    for path in (f"/ws/videos/{video.pk}/", f"/ws/videos/{video.pk}/?token={viewer_token}"):
        ws = WebsocketCommunicator(application, path)
        connected, code = await ws.connect(timeout=5)
        assert (connected, code) == (False, 4404)
    owner = await connect(f"/ws/videos/{video.pk}/", creator)
    await owner.disconnect()


@in_own_loop
async def test_an_epoch_change_reloads_the_facts_once_per_process_not_once_per_socket(
    creator, user_factory, video_factory, monkeypatch
):
    from apps.videos import facade

    video = await database_sync_to_async(video_factory)(creator=creator)
    fans = [await database_sync_to_async(user_factory)() for _ in range(4)]
    sockets = [await connect(f"/ws/videos/{video.pk}/", fan) for fan in fans]
    loads = []
    real = facade.video_access_info
    monkeypatch.setattr(facade, "video_access_info", lambda video_id: loads.append(video_id) or real(video_id))

    # A save that writes an access column (the same visibility) moves the epoch; a caption does not.
    await database_sync_to_async(api)(creator, "patch", f"videos/{video.pk}", {"visibility": "public"})
    await asyncio.sleep(1.0)  # five ticks: every socket has seen the new epoch

    assert loads == [video.pk]
    for ws in sockets:
        await push(video.pk)
        assert (await ws.receive_json_from(timeout=2))["type"] == "counters"
        await ws.disconnect()


@in_own_loop
async def test_a_connect_decided_on_stale_process_cache_is_corrected_once_it_expires(creator, viewer, video_factory):
    """Another process hid the video and moved its epoch; this process still caches the facts
    from before. The socket connects on them, then is closed when that cache has expired."""
    from django.conf import settings as django_settings

    from apps.engagement import redis_keys as keys
    from apps.engagement.redis_scripts import client as redis_client
    from apps.videos.models import Video

    video = await database_sync_to_async(video_factory)(creator=creator)
    await database_sync_to_async(access.video_info)(video.pk)  # this process caches "public"

    def hide_elsewhere():
        Video.objects.filter(pk=video.pk).update(visibility=Video.Visibility.PRIVATE)  # no signal here
        redis_client().incr(keys.video_epoch(video.pk))  # what the other process's commit did

    await database_sync_to_async(hide_elsewhere)()
    ws = await connect(f"/ws/videos/{video.pk}/", viewer)  # decided on the stale cache

    assert await close_code(ws, timeout=django_settings.ACCESS_CACHE_S + 2) == 4404
