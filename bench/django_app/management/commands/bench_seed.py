"""Create the benchmark's users, videos and JWT access tokens (docs/benchmark.md).

    python manage.py bench_seed --out .run/bench/data --users 40000 --probe-users 3000

Writes, into ``--out``: ``tokens.txt`` (one access token per line, wrk user i = line i),
``probe_tokens.txt`` (users reserved for the latency probes), one ``<set>.txt`` per video
set (one id per line) and ``seed.json`` (everything at once). Refuses to run unless
settings.BENCHMARK_ENDPOINTS is true: it mints tokens and fills tables in bulk.
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts import identity
from apps.accounts.services import TOKEN_GENERATION_CLAIM
from apps.core.signals import announce_access_changed
from apps.videos.models import Video

# Disjoint video sets, so no phase's counters touch another's: (name, how many).
VIDEO_SETS = [
    ("warmup", 1000),  # likes before anything is measured: JIT, caches and connections warm
    ("uniform", 1000),  # like, uniform load
    ("viral", 16),  # like, viral load: one hot video per round of users
    ("cold", 1000),  # like, viral load: the other 10 %
    ("kill", 1000),  # like, uniform load while a Celery worker is SIGKILLed
    ("naive_viral", 16),
    ("naive_cold", 1000),
    ("playback", 2000),
    ("naive_playback", 2000),
]
CREATORS = 50
BATCH = 5000
ANNOUNCE_CHUNK = 1000  # videos per access-facts refill (one Redis pipeline each)


def mint(users: list[Any]) -> list[str]:
    """Access tokens as a login issues them, snapshot of the account included (identity.py)."""
    tokens = []
    for user in users:
        token = AccessToken.for_user(user)
        token[TOKEN_GENERATION_CLAIM] = user.token_generation
        tokens.append(str(token))
    identity.remember([user.pk for user in users])
    return tokens


class Command(BaseCommand):
    help = "Benchmark fixtures: users, videos and access tokens."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--users", type=int, default=40000)
        parser.add_argument("--probe-users", type=int, default=3000)

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "BENCHMARK_ENDPOINTS", False):
            raise CommandError("bench_seed runs only with the benchmark settings (settings.bench).")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        user_model = get_user_model()
        prefix = f"b{int(timezone.now().timestamp()) % 100000}"

        def make_users(kind: str, n: int) -> list[Any]:
            rows = [user_model(username=f"{prefix}{kind}{i}", password="!") for i in range(n)]  # unusable password
            created = []
            for start in range(0, n, BATCH):
                created += user_model.objects.bulk_create(rows[start : start + BATCH])
            return created

        creators = make_users("c", CREATORS)
        viewers = make_users("u", options["users"])
        probes = make_users("p", options["probe_users"])
        now = timezone.now()
        sets: dict[str, list[int]] = {}
        for name, count in VIDEO_SETS:
            videos = Video.objects.bulk_create(
                [
                    Video(
                        creator=creators[i % CREATORS],
                        caption=f"bench {name} {i}",
                        status=Video.Status.READY,
                        moderation_status=Video.Moderation.APPROVED,
                        visibility=Video.Visibility.PUBLIC,
                        duration_ms=30_000,
                        published_at=now,
                    )
                    for i in range(count)
                ],
                batch_size=BATCH,
            )
            sets[name] = [video.pk for video in videos]
            # bulk_create sends no model signals: announce what saving each video would, so the
            # like path finds their access facts already in Redis (apps/engagement/access.py).
            for start in range(0, len(sets[name]), ANNOUNCE_CHUNK):
                announce_access_changed(video_ids=sets[name][start : start + ANNOUNCE_CHUNK])
            (out / f"{name}.txt").write_text("".join(f"{pk}\n" for pk in sets[name]))
        (out / "tokens.txt").write_text("".join(f"{t}\n" for t in mint(viewers)))
        (out / "probe_tokens.txt").write_text("".join(f"{t}\n" for t in mint(probes)))
        summary = {
            "users": len(viewers),
            "probe_users": len(probes),
            "first_user_id": viewers[0].pk,
            "sets": sets,
        }
        (out / "seed.json").write_text(json.dumps(summary))
        self.stdout.write(json.dumps({"users": len(viewers), "videos": {k: len(v) for k, v in sets.items()}}))
