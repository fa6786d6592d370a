"""Schemathesis against a live server of the test settings: the schema must describe the API.

Bounded and seeded (see docs/api-schema.md): every operation of ``/api/schema/`` gets
``FUZZ_EXAMPLES`` generated cases in the examples, coverage and fuzzing phases, authenticated as a
user this test creates (a bearer token fetched by logging in, fetched again after a 401 since
``/auth/logout-all`` revokes it), with path parameters drawn mostly from real seed objects. Any
server error, undocumented status, wrong content type, response outside its schema, schema-valid
request refused or schema-invalid request accepted fails the test.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apps.comments import services as comment_services
from apps.notifications.models import Notification
from apps.videos import uploads
from tests.factories import PASSWORD, UserFactory, VideoFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),  # the suite's 120 s is per ordinary test; this run takes 1.5-3 min
    pytest.mark.django_db(transaction=True, databases=["default", "cassandra"]),
]

FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "20261204"))
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_WORKERS = int(os.environ.get("FUZZ_WORKERS", "2"))
# The same cases on every run; FUZZ_DETERMINISTIC=0 explores with FUZZ_SEED instead (by hand).
FUZZ_DETERMINISTIC = os.environ.get("FUZZ_DETERMINISTIC", "1") != "0"

# What cannot be fuzzed sensibly (docs/api-schema.md lists these with the reasons):
# multipart and raw binary uploads, whose bytes a generator cannot make into media.
EXCLUDED_OPERATIONS = [
    ("PUT", "/api/v1/me/avatar"),
    ("POST", "/api/v1/videos/upload"),
    ("PUT", "/api/v1/uploads/{session_id}/chunks/{index}"),
]

CONFIG = """
hooks = "{hooks}"
seed = {seed}
workers = {workers}
continue-on-failure = true
request-timeout = 30
suppress-health-check = ["too_slow", "filter_too_much", "data_too_large", "large_base_example"]

[cache]
enabled = false  # no crash replays from earlier runs: the run depends on the seed alone

[generation]
max-examples = {examples}
database = "none"
deterministic = {deterministic}

[phases.stateful]
enabled = false

[checks]
# The three below need response links or a second identity the schema does not describe.
use_after_free.enabled = false
ensure_resource_availability.enabled = false
object_level_authorization.enabled = false

[auth.dynamic.openapi.jwtAuth]
path = "/api/v1/auth/login"
payload = {{ username = "{username}", password = "{password}" }}
extract_selector = "/access"
retry_on = [401]

[dictionaries]
video_ids = {{ values = [{video_ids}] }}
comment_ids = {{ values = [{comment_ids}] }}
usernames = {{ values = [{usernames}] }}
notification_ids = {{ values = [{notification_ids}] }}
session_ids = {{ values = [{session_ids}] }}
hashtags = {{ values = [{hashtags}] }}

[parameters]
"path.video_id" = {{ dictionary = "video_ids", probability = 0.8 }}
"path.comment_id" = {{ dictionary = "comment_ids", probability = 0.8 }}
"path.username" = {{ dictionary = "usernames", probability = 0.8 }}
"path.notification_id" = {{ dictionary = "notification_ids", probability = 0.8 }}
"path.session_id" = {{ dictionary = "session_ids", probability = 0.8 }}
"path.name" = {{ dictionary = "hashtags", probability = 0.8 }}

[checks.negative_data_rejection]
# 413: a body over a documented maximum (an upload's size) is refused as too large.
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
"""


def _seed() -> dict[str, Any]:
    """Objects the path parameters point at: two users, their videos, a comment thread."""
    fuzzer = UserFactory(username="fuzzer")
    other = UserFactory(username="other")
    mine = VideoFactory(creator=fuzzer)
    theirs = VideoFactory(creator=other)
    comment = comment_services.comment_create(user=other, video_id=theirs.pk, body="first! #demo")
    reply = comment_services.comment_create(user=fuzzer, video_id=theirs.pk, body="reply", parent_id=comment.pk)
    mine_comment = comment_services.comment_create(user=fuzzer, video_id=mine.pk, body="mine")
    notification = Notification.objects.create(
        recipient=fuzzer,
        kind=Notification.Kind.COMMENT,
        target_key=f"video:{mine.pk}",
        video_id=mine.pk,
        comment_id=mine_comment.pk,
        actor_count=1,
        recent_actor_ids=[other.pk],
    )
    session = uploads.upload_session_create(creator=fuzzer, size=1000, sha256="a" * 64)
    return {
        "username": fuzzer.username,
        "video_ids": [mine.pk, theirs.pk],
        "comment_ids": [comment.pk, reply.pk, mine_comment.pk],
        "usernames": ["other"],  # not "fuzzer": refusing to follow or block yourself is a 400
        "notification_ids": [notification.pk],
        "session_ids": [str(session.pk)],
        "hashtags": ["demo"],
    }


def _quoted(values: list[Any]) -> str:
    return ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


def test_schema_describes_the_api(live_server: Any, tmp_path: Path, settings: Any) -> None:
    # Given a live server of the test settings with seed data and a user to fuzz as; passwords
    # are checked for what the schema can state (length), not against the common-password list
    # or the similarity to the username (tests/accounts cover those)
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    ]
    seed = _seed()
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(
            hooks=Path(__file__).with_name("schemathesis_hooks.py"),
            seed=FUZZ_SEED,
            deterministic=str(FUZZ_DETERMINISTIC).lower(),
            workers=FUZZ_WORKERS,
            examples=FUZZ_EXAMPLES,
            username=seed["username"],
            password=PASSWORD,
            video_ids=_quoted(seed["video_ids"]),
            comment_ids=_quoted(seed["comment_ids"]),
            usernames=_quoted(seed["usernames"]),
            notification_ids=_quoted(seed["notification_ids"]),
            session_ids=_quoted(seed["session_ids"]),
            hashtags=_quoted(seed["hashtags"]),
        )
    )
    report = Path(os.environ.get("FUZZ_REPORT_DIR", str(tmp_path / "report")))
    excluded = [arg for method, path in EXCLUDED_OPERATIONS for arg in ("--exclude-name", f"{method} {path}")]

    # When schemathesis runs every check against every operation
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("st")),
            "--config-file",
            str(config),
            "run",
            f"{live_server.url}/api/schema/?format=json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-color",
            *excluded,
            "--report",
            "junit",
            "--report-dir",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    (report / "schemathesis.txt").write_text(run.stdout + run.stderr)

    # Then nothing failed
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
