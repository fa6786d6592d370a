"""Run by tests/core/test_embedded_default.py in a subprocess on settings.local (the embedded
default: SQLite, no Redis) against a fresh database file; prints one JSON line of findings.

    python tests/core/embedded_default_probe.py writers|comment
"""

import json
import logging
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()} {'(traceback)' if record.exc_info else ''}")


def client_for(user) -> APIClient:
    from apps.accounts import services

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {services.tokens_for_user(user=user)['access']}")
    return client


def writers(threads: int = 4, posts: int = 25) -> dict:
    from apps.accounts import services

    users = [services.user_register(username=f"writer{i}", password="correct-horse-battery-9") for i in range(threads)]
    statuses: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(threads)

    def work(user) -> None:
        client = client_for(user)
        barrier.wait()
        try:
            for n in range(posts):
                try:
                    response = client.post("/api/v1/videos", {"caption": f"clip {n} #race"}, format="json")
                    statuses.append(response.status_code)
                except Exception as exc:  # the test client re-raises the view's exception
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    from apps.videos.models import Video

    return {
        "statuses": sorted(set(statuses)),
        "created": Video.objects.count(),
        "expected": threads * posts,
        "errors": errors[:5],
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
    }


def comment() -> dict:
    from apps.accounts import services
    from apps.videos.models import Video

    creator = services.user_register(username="creator", password="correct-horse-battery-9")
    viewer = services.user_register(username="viewer", password="correct-horse-battery-9")
    video = Video.objects.create(creator=creator, caption="hi", status="ready", moderation_status="approved")
    collect = Collect()
    logging.getLogger().addHandler(collect)
    first = client_for(viewer).post(f"/api/v1/videos/{video.pk}/comments", {"body": "lovely"}, format="json")
    second = client_for(creator).post(f"/api/v1/videos/{video.pk}/comments", {"body": "thanks"}, format="json")
    reply = client_for(viewer).post(
        f"/api/v1/videos/{video.pk}/comments", {"body": "yw", "parent_id": second.json()["id"]}, format="json"
    )
    like = client_for(creator).post(f"/api/v1/comments/{first.json()['id']}/like")
    deleted = client_for(viewer).delete(f"/api/v1/comments/{first.json()['id']}")
    logging.getLogger().removeHandler(collect)
    video.refresh_from_db()
    from apps.comments.models import Comment

    return {
        "statuses": [first.status_code, second.status_code, reply.status_code, like.status_code, deleted.status_code],
        "comment_count": video.comment_count,
        "reply_count": Comment.objects.get(pk=second.json()["id"]).reply_count,
        "like_count": Comment.objects.get(pk=first.json()["id"]).like_count,
        "warnings": collect.records,
    }


if __name__ == "__main__":
    call_command("migrate", verbosity=0, interactive=False)
    result = {"writers": writers, "comment": comment}[sys.argv[1]]()
    print("RESULT " + json.dumps(result))
