"""The real stack: API -> Redis stream -> a real Celery worker process -> Cassandra + PostgreSQL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connections

from apps.engagement import pipeline
from apps.engagement.store import get_store
from apps.videos.models import Video
from tests.conftest import CASSANDRA, client_for

pytestmark = [CASSANDRA, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(settings):
    """Start `celery worker` on the test databases; yields a function that starts another."""
    default = connections["default"].settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": f"postgres://{default['USER']}@{default['HOST']}:{default['PORT']}/{default['NAME']}",
        "CASSANDRA_KEYSPACE": settings.DATABASES["cassandra"]["NAME"],
        "REDIS_URL": settings.REDIS_URL,
        "ENGAGEMENT_CLAIM_IDLE_MS": "1000",
    }
    started = []

    def start():
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery",
                "worker",
                "-Q",
                "engagement,notifications,default",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_likes_flow_through_a_real_worker_even_when_one_is_killed(worker, creator, user_factory, video_factory):
    from apps.engagement.tasks import drain, flush_counters

    video = video_factory(creator=creator)
    fans = [user_factory() for _ in range(60)]
    first = worker()
    for fan in fans[:30]:
        assert client_for(fan).post(f"/api/v1/videos/{video.pk}/like").json()["status"] == "accepted"
    # SIGKILL the worker (and its pool) whatever it is doing, then bring up a new one.
    time.sleep(1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    worker()
    for fan in fans[30:]:
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")
        client_for(fan).post(f"/api/v1/videos/{video.pk}/like")  # duplicate

    def drained() -> bool:
        drain.delay()  # what beat does every second; entries of the killed worker are reclaimed
        return pipeline.status()["stream_pending"] == 0

    assert wait_until(drained)
    assert wait_until(lambda: get_store().like_count(video_id=video.pk) == 60)
    flush_counters.delay()
    assert wait_until(lambda: Video.objects.get(pk=video.pk).like_count == 60)
    assert pipeline.status()["stream_pending"] == 0
