"""Automated moderation at the end of processing: caption rules plus pluggable content checks.

A check is any callable ``check(*, video, media) -> CheckResult`` listed (dotted path) in
``settings.MEDIA_CONTENT_CHECKS``; a nudity/violence classifier plugs in the same way.
Results are recorded on ``VideoMedia.checks``. ``reject`` stops publication (status
``rejected``), ``flag`` publishes but marks the video for human review.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

PASS, FLAG, REJECT = "pass", "flag", "reject"


@dataclass
class CheckResult:
    name: str
    verdict: str = PASS
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def caption_rules(*, video: Any, media: Any) -> CheckResult:
    for pattern in settings.MEDIA_CAPTION_BLOCKLIST:
        if pattern and re.search(pattern, video.caption or "", re.IGNORECASE):
            return CheckResult("caption_rules", REJECT, "caption_blocked", {"rule": pattern})
    return CheckResult("caption_rules")


# A check that reads only the caption says so; it runs again whenever the caption is edited
# (services.video_update). Checks of the pictures or sound run once, in processing.
caption_rules.caption_check = True  # type: ignore[attr-defined]


def run_checks(*, video: Any, media: Any, caption_only: bool = False) -> list[CheckResult]:
    results = []
    for path in settings.MEDIA_CONTENT_CHECKS:
        if not path:
            continue
        check = import_string(path)
        if caption_only and not getattr(check, "caption_check", False):
            continue
        try:
            results.append(check(video=video, media=media))
        except Exception as exc:  # a broken checker must not publish silently: flag for review
            results.append(CheckResult(path.rsplit(".", 1)[-1], FLAG, "check_error", {"error": repr(exc)[:200]}))
    return results
