"""Redis SIGKILLed (three times) under a like storm: every answer is 200 or 503 (never a 500),
and every like answered `accepted` is there once Redis is back (AOF with appendfsync always:
a reply leaves Redis only after its write is on disk).

The test runs its own redis-server (a free loopback port, its own directory) and a live server
of the app (granian, as in production) pointed at it; it never touches the shared Redis.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connections

from apps.accounts import services as account_services
from apps.engagement import redis_keys as keys
from tests.factories import UserFactory, VideoFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
USERS, VIDEOS, THREADS = 150, 8, 6
KILLS, UP_S, DOWN_S = 3, 1.0, 0.8  # three rounds: likes flow for UP_S, Redis is dead for DOWN_S


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, redis.RedisError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    return False


class OwnRedis:
    """A redis-server of the test's own, restartable on the same directory and port."""

    def __init__(self, directory: Path, *, fsync: str = "always"):
        self.port, self.dir, self.fsync, self.process = free_port(), directory, fsync, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
             "--save", "", "--appendonly", "yes", "--appendfsync", self.fsync,
             "--maxmemory-policy", "noeviction", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        assert wait_until(lambda: self.client().ping(), 15), "own redis-server did not start"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path / "redis")
    server.dir.mkdir()
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def app_server(own_redis, tmp_path):
    """The app under granian (WSGI, threads), on the test database and our own Redis. Every
    accepted like kicks a drain (ENGAGEMENT_KICK_MS=1), so Redis dies between a like's script
    and its kick for some requests: the window where a recorded like could turn into a 500."""
    default = connections["default"].settings_dict
    redis_url = f"redis://127.0.0.1:{own_redis.port}/0"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.test",
        "DATABASE_URL": f"postgres://{default['USER']}@{default['HOST']}:{default['PORT']}/{default['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "ENGAGEMENT_STORE": "orm",
        "ENGAGEMENT_KICK_MS": "1",
        "LIKE_RATE_LIMIT": "100000",
    }
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--no-ws", "--workers", "1", "--blocking-threads", str(THREADS), "settings.wsgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip

    def live() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/health/live")
        return conn.getresponse().status == 200

    assert wait_until(live, 30), (tmp_path / "server.log").read_text()[-3000:]
    yield port
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


def storm(port: int, work: list[tuple[int, str, int]], stop: threading.Event, answers: list) -> None:
    """Like each (user, token, video) of ``work`` in turn, round after round, until ``stop``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        for user_id, token, video_id in work:
            if stop.is_set():
                break
            try:
                conn.request("POST", f"/api/v1/videos/{video_id}/like", headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:  # the server itself must not fail
                answers.append((user_id, video_id, f"transport:{exc!r}", b"", time.monotonic()))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            answers.append((user_id, video_id, response.status, body, time.monotonic()))


def test_redis_killed_under_a_like_storm_answers_no_500_and_loses_no_accepted_like(own_redis, app_server):
    videos = [VideoFactory() for _ in range(VIDEOS)]
    users = [UserFactory() for _ in range(USERS)]
    tokens = {u.pk: account_services.tokens_for_user(user=u)["access"] for u in users}
    pairs = [(u.pk, tokens[u.pk], v.pk) for u in users for v in videos]
    answers: list = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=storm, args=(app_server, pairs[i::THREADS], stop, answers)) for i in range(THREADS)
    ]

    started = time.monotonic()
    for thread in threads:
        thread.start()
    kills, restarts = [], []
    for _ in range(KILLS):  # a like's script and its drain kick are microseconds apart: kill often
        time.sleep(UP_S)
        own_redis.kill()
        kills.append(time.monotonic())
        time.sleep(DOWN_S)
        own_redis.start()  # the same directory and port: it loads the AOF
        restarts.append(time.monotonic())
    time.sleep(UP_S)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert time.monotonic() - started < 60

    statuses = [a[2] for a in answers]
    # No 5xx other than 503, no broken connection
    assert [s for s in statuses if s not in (200, 503)] == [], Counter(statuses)
    assert 503 in statuses, "Redis was killed while likes were in flight"
    accepted = [(a[0], a[1]) for a in answers if a[2] == 200 and json.loads(a[3])["status"] == "accepted"]
    assert any(a[4] < kills[0] for a in answers if a[2] == 200), "likes were accepted before the kill"
    assert any(a[4] > restarts[-1] for a in answers if a[2] == 200), "likes were accepted after the restart"
    # Every like answered accepted is in the like state after the restart, and the counters
    # agree with the like state (the script applies all or nothing)
    client = own_redis.client()
    liked = {
        (user_id, int(video_id))
        for user_id in tokens
        for video_id, state in client.hgetall(keys.user_likes(user_id)).items()
        if state == b"1"
    }
    assert set(accepted) <= liked
    for video in videos:
        expected = sum(1 for _, video_id in liked if video_id == video.pk)
        assert int(client.hget(keys.counters(video.pk), "likes") or 0) == expected
    assert client.xlen(keys.STREAM) == len(liked)  # each recorded like is one entry for the workers
