"""make test's second pass: the tests marked `embedded` on the embedded default's settings, so
the SQLite branches (notifications aggregation and fan-out, the videos facade, comment counts
and ranking) and the inline engagement mode run in CI too."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_embedded_settings_are_the_embedded_default():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test_embedded"}
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.DATABASES['default']['ENGINE'],"
        " s.ENGAGEMENT_TRANSPORT, s.ENGAGEMENT_STORE, s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " 'django_cassandra_engine' in s.INSTALLED_APPS]))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)

    assert json.loads(done.stdout) == [
        "django.db.backends.sqlite3",
        "inline",
        "orm",
        "django.core.cache.backends.locmem.LocMemCache",
        "channels.layers.InMemoryChannelLayer",
        False,
    ]


def test_the_second_pass_selects_the_tests_of_the_embedded_branches():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--ds=settings.test_embedded", "-m", "embedded", "--collect-only", "-q",
         "-p", "no:randomly"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-2000:]
    modules = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    assert {
        "tests/notifications/test_aggregation.py",
        "tests/notifications/test_fanout.py",
        "tests/videos/test_video_api.py",
        "tests/comments/test_video_comment_count.py",
        "tests/comments/test_comments_api.py",
        "tests/engagement/test_inline_mode.py",
    } <= modules
    assert "tests/integration/test_engagement_stack.py" not in modules  # needs the real services
    test_recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/pytest --ds=settings.test_embedded -m embedded" in test_recipe
