"""Comment checks: fast rules run in the request; an optional classifier runs in a worker.

Outcomes: ``published``; ``held`` (spam-like: links, repetition, flooding; a moderator decides);
``hidden`` (a blocked term of the platform or of the video's creator). Every outcome is recorded
with its reasons (ModerationDecision).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

LINK_RE = re.compile(r"(https?://|www\.|\b[a-z0-9-]{2,}\.(com|net|org|io|ru|xyz|info|biz|link|ly|co)\b)", re.I)


@dataclass
class Verdict:
    outcome: str  # published | held | hidden
    reasons: list[str] = field(default_factory=list)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _has_term(text: str, terms: list[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) for term in terms)


def rules_check(*, body: str, author_id: int, creator_id: int | None, count_flood: bool = True) -> Verdict:
    from apps.comments.models import BlockedTerm, Comment

    text = _normal(body)
    reasons: list[str] = []
    platform_terms = [
        t.lower() for t in BlockedTerm.objects.filter(creator__isnull=True).values_list("term", flat=True)
    ]
    creator_terms = [
        t.lower() for t in BlockedTerm.objects.filter(creator_id=creator_id).values_list("term", flat=True)
    ]
    if _has_term(text, platform_terms):
        reasons.append("blocked_term")
    if creator_id and _has_term(text, creator_terms):
        reasons.append("creator_blocked_term")
    if reasons:
        return Verdict("hidden", reasons)
    if LINK_RE.search(body):
        reasons.append("contains_link")
    since = timezone.now() - timedelta(seconds=settings.COMMENTS_REPEAT_WINDOW_S)
    recent = Comment.objects.filter(author_id=author_id, created_at__gte=since).exclude(status="deleted")
    if any(_normal(b) == text for b in recent.values_list("body", flat=True)[:20]):
        reasons.append("repeated")
    if count_flood:
        key = f"comments:flood:{author_id}"
        cache.add(key, 0, timeout=settings.COMMENTS_FLOOD_WINDOW_S)
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1
        if count > settings.COMMENTS_FLOOD_LIMIT:
            reasons.append("flooding")
    return Verdict("held" if reasons else "published", reasons)


def classifier() -> Callable[..., Verdict | tuple[str, list[str]] | None] | None:
    """The pluggable hook: ``COMMENTS_CLASSIFIER`` is a dotted path to
    ``fn(text, *, author_id, video_id) -> (outcome, reasons)`` (or None for 'no opinion')."""
    path = getattr(settings, "COMMENTS_CLASSIFIER", "")
    return import_string(path) if path else None
