"""The live-counter pusher: every LIVE_PUSH_INTERVAL_MS, one snapshot per changed video."""

import logging
import signal
import time
from typing import Any

import redis
from django.conf import settings
from django.core.management.base import BaseCommand

from apps.engagement import realtime

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Push live counter snapshots to websocket subscribers (run one per deployment)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rounds", type=int, default=0, help="stop after this many rounds (0: run forever)")

    def handle(self, *args: Any, rounds: int = 0, **options: Any) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        interval = settings.LIVE_PUSH_INTERVAL_MS / 1000
        done = 0
        while not stopping and (rounds == 0 or done < rounds):
            started = time.monotonic()
            try:
                realtime.push_pending()
            except redis.RedisError as exc:  # keep going: Redis may come back
                log.warning("live counter push failed: %s", exc)
            done += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
