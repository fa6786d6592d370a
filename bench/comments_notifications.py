"""Benchmark: comment post latency (p50/p99 through the API) and notifications created per
10,000 likes (aggregation). Writes bench/results/comments_notifications.json.

    TEST_DB_NAME=bench_comments .venv/bin/python bench/comments_notifications.py

Uses a throw-away test database on the configured PostgreSQL (settings.test) and Redis.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
os.environ.setdefault("TEST_DB_NAME", "bench_comments")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test.utils import override_settings, setup_databases, teardown_databases  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

COMMENTS = int(os.environ.get("BENCH_COMMENTS", "300"))
LIKES = int(os.environ.get("BENCH_LIKES", "10000"))
BATCH = 500


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> dict:
    from apps.notifications import services as notifications
    from apps.notifications.models import Notification
    from apps.videos.models import Video

    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"b{i:05d}") for i in range(LIKES + 1)])
    creator = user_model.objects.get(username="b00000")
    video = Video.objects.create(creator=creator, status="ready", moderation_status="approved")
    authors = list(user_model.objects.exclude(pk=creator.pk).order_by("pk")[: max(1, COMMENTS // 3)])

    latencies = []
    with override_settings(COMMENTS_HARD_LIMIT_PER_MIN=10**6, COMMENTS_FLOOD_LIMIT=10**6):
        for i in range(COMMENTS):
            client = APIClient()
            client.force_authenticate(authors[i % len(authors)])
            started = time.perf_counter()
            response = client.post(f"/api/v1/videos/{video.pk}/comments", {"body": f"comment {i}"}, format="json")
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content

    fans = list(user_model.objects.exclude(pk=creator.pk).order_by("pk").values_list("pk", flat=True)[:LIKES])
    now = time.time()
    events = [
        {"kind": "like", "actor_id": uid, "recipient_id": creator.pk, "video_id": video.pk,
         "event_id": f"like:{uid}:{video.pk}", "occurred_at": now}
        for uid in fans
    ]  # fmt: skip
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        notifications.events_record(events=events[start : start + BATCH])
    like_seconds = time.perf_counter() - started
    rows = Notification.objects.filter(recipient=creator, kind="like")
    return {
        "comment_post_ms": {
            "n": len(latencies),
            "p50": round(statistics.median(latencies), 2),
            "p99": round(percentile(latencies, 0.99), 2),
        },
        "likes": len(events),
        "like_batch_size": BATCH,
        "notifications_created_per_10000_likes": round(rows.count() * 10000 / max(1, len(events)), 2),
        "actor_count_on_row": rows.first().actor_count if rows.exists() else 0,
        "like_events_per_second": round(len(events) / like_seconds, 1),
    }


if __name__ == "__main__":
    config = setup_databases(verbosity=0, interactive=False)
    try:
        cache.clear()
        result = main()
    finally:
        teardown_databases(config, verbosity=0)
    result["database"] = settings.DATABASES["default"]["ENGINE"]
    out = ROOT / "bench" / "results" / "comments_notifications.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
