"""Print the pipeline's backlog as JSON: drained when stream_pending and dirty_counters are 0."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from apps.engagement import pipeline


class Command(BaseCommand):
    help = "Engagement pipeline backlog (JSON)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(pipeline.status()))
