"""Progress pushed over the websocket to the creator only.

The async bodies run on a fresh event loop in their own thread, so these tests do not depend
on what other tests left running in the main thread (Playwright's session-wide loop)."""

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.accounts import services as account_services
from apps.videos import processing
from settings.asgi import application
from tests.conftest import client_for
from tests.videos.helpers import upload_file

pytestmark = pytest.mark.django_db(transaction=True)


def run_async(coro_fn, *args):
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro_fn(*args))
        except BaseException as exc:  # re-raised in the test thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _communicator(user, video_id):
    token = account_services.tokens_for_user(user=user)["access"]
    return WebsocketCommunicator(application, f"/ws/videos/{video_id}/processing/?token={token}")


@pytest.fixture
def uploaded(creator, clips):
    return upload_file(client_for(creator), clips("landscape_mov")).json()["video_id"]


def test_creator_receives_a_snapshot_then_progress(creator, uploaded):
    ws = _communicator(creator, uploaded)

    async def scenario():
        connected, _ = await ws.connect()
        snapshot = await ws.receive_json_from()
        await database_sync_to_async(processing.processing_claim)(video_id=uploaded, owner="w1")
        await database_sync_to_async(processing.processing_progress)(
            video_id=uploaded, owner="w1", stage="transcode", percent=40
        )
        claimed = await ws.receive_json_from()
        progress = await ws.receive_json_from()
        await ws.disconnect()
        return connected, snapshot, claimed, progress

    connected, snapshot, claimed, progress = run_async(scenario)

    assert connected and snapshot["status"] == "uploaded"
    assert claimed["status"] == "processing"
    assert (progress["stage"], progress["percent"]) == ("transcode", 40)


def test_others_cannot_follow_my_processing(viewer, uploaded):
    ws = _communicator(viewer, uploaded)

    async def scenario():
        connected, _code = await ws.connect()
        return connected

    assert run_async(scenario) is False


def test_the_assemble_stage_reports_on_the_socket(creator, uploaded):
    from apps.videos.tasks import process_video

    ws = _communicator(creator, uploaded)

    async def scenario():
        await ws.connect()
        await ws.receive_json_from()  # the snapshot
        await database_sync_to_async(process_video)(uploaded)
        seen = []
        while not seen or seen[-1]["status"] != "ready":
            seen.append(await ws.receive_json_from(timeout=5))
        await ws.disconnect()
        return seen

    seen = run_async(scenario)

    assert seen[0]["stage"] == "assemble" and seen[0]["status"] == "processing"
    assert [m["stage"] for m in seen if m["stage"]][:2] == ["assemble", "assemble"]
    assert seen[-1]["status"] == "ready"
