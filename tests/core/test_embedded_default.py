"""The embedded default (settings.local: SQLite, no Redis) under concurrent writers, and quiet.

The suite runs on PostgreSQL, so these drive the real settings.local in a subprocess with a
fresh SQLite file (tests/core/embedded_default_probe.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "tests" / "core" / "embedded_default_probe.py"


def run_probe(mode: str, tmp_path: Path) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DJANGO_SETTINGS_MODULE": "settings.local",
        "LOCAL_SQLITE_PATH": str(tmp_path / "local.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        # The writers are one user creating a hundred videos: past the creation limit.
        "RATE_LIMIT_VIDEO_CREATE": "1000,1000,3600",
    }
    done = subprocess.run(
        [sys.executable, str(PROBE), mode], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return {**json.loads(lines[-1][len("RESULT ") :]), "stderr": done.stderr}


def test_local_sqlite_options_are_wal_immediate_with_a_busy_timeout():
    from settings import local

    options = local.DATABASES["default"]["OPTIONS"]

    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


def test_concurrent_writers_on_the_embedded_default_never_see_database_is_locked(tmp_path):
    result = run_probe("writers", tmp_path)

    assert "database is locked" not in result["stderr"] + json.dumps(result["errors"])
    assert result["errors"] == [] and result["statuses"] == [201]
    assert result["created"] == result["expected"]
    assert result["journal_mode"] == "wal"


def test_comments_on_the_embedded_default_log_nothing_and_count_exactly(tmp_path):
    result = run_probe("comment", tmp_path)

    assert result["statuses"] == [201, 201, 201, 201, 204], result
    assert result["warnings"] == []
    assert "Traceback" not in result["stderr"] and "dirty set unavailable" not in result["stderr"]
    # the viewer's first comment was deleted: the creator's comment and the reply remain
    assert (result["comment_count"], result["reply_count"], result["like_count"]) == (2, 1, 1)
