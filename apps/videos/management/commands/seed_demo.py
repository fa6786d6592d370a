"""Load a small demo dataset: creators, videos, follows. Idempotent (run it as often as you like)."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts import facade as accounts
from apps.videos import services as videos

DEMO_PASSWORD = "reelhouse-demo-1"
CREATORS = [
    ("ana", "Ana Dances", False, ["Morning routine #dance #fyp", "Salsa basics with @ben #dance #tutorial"]),
    ("ben", "Ben Cooks", False, ["Five minute pasta #food #quick", "Knife skills #food"]),
    ("cleo", "Cleo (private)", True, ["Behind the scenes #vlog"]),
]
VIEWERS = ["dan", "eve"]


class Command(BaseCommand):
    help = "Create demo users (password: reelhouse-demo-1), videos and follows; plus an admin user 'admin'."

    def handle(self, *args: Any, **options: Any) -> None:
        # Known accounts with a published password (a superuser among them) must never reach a
        # shared or public database: only the embedded default (settings.local) may have them.
        if not settings.EMBEDDED_DEFAULT:
            raise CommandError(
                "seed_demo creates accounts with a published password and runs only on the embedded "
                "default (DJANGO_SETTINGS_MODULE=settings.local)."
            )
        self._seed()

    @transaction.atomic
    def _seed(self) -> None:
        user_model = get_user_model()
        users = {}
        for username, display, private, captions in CREATORS:
            user_id, created = accounts.demo_account_ensure(
                username=username,
                password=DEMO_PASSWORD,
                display_name=display,
                is_private=private,
                bio=f"Hi, I'm {display}.",
            )
            if created:
                creator = user_model.objects.get(pk=user_id)
                for caption in captions:
                    video = videos.video_create(creator=creator, caption=caption)
                    videos.video_mark_ready(video=video, duration_ms=15000, width=1080, height=1920)
            users[username] = user_id
        for username in VIEWERS:
            users[username], _ = accounts.demo_account_ensure(username=username, password=DEMO_PASSWORD)
        for follower in ("dan", "eve", "ben"):
            accounts.demo_follow(follower_id=users[follower], followee_id=users["ana"])
        accounts.demo_follow(follower_id=users["dan"], followee_id=users["cleo"])  # a pending request
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.test", DEMO_PASSWORD)
        self.stdout.write(
            self.style.SUCCESS(f"demo data ready: users {', '.join(users)} and admin; password {DEMO_PASSWORD}")
        )
