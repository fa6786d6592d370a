"""The live-counter page in real headless Chromium, served by the real ASGI app."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from apps.engagement import realtime
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = [pytest.mark.browser, CASSANDRA]


def test_counters_move_live_as_people_like(page, asgi_server, creator, user_factory, video_factory):
    video = video_factory(creator=creator)

    page.goto(f"{asgi_server}/videos/{video.pk}/live")
    page.wait_for_function("document.getElementById('status').textContent === 'live'", timeout=10_000)
    assert page.inner_text("#likes") == "0"

    for fan in [user_factory() for _ in range(3)]:
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")
    with ThreadPoolExecutor(1) as pool:  # Playwright holds an event loop in this thread
        pool.submit(realtime.push_snapshot, video.pk).result()  # what the throttled push task does

    page.wait_for_function("document.getElementById('likes').textContent === '3'", timeout=10_000)
    assert page.inner_text("#views") == "0"


def test_a_hidden_video_has_no_live_page(page, asgi_server, creator, video_factory):
    video = video_factory(creator=creator, visibility=Video.Visibility.PRIVATE)

    response = page.goto(f"{asgi_server}/videos/{video.pk}/live")

    assert response.status == 404
