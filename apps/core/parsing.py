"""Hashtags and mentions from free text (video captions, comments): shared by videos and comments."""

import re

HASHTAG_RE = re.compile(r"(?<![\w#])#(\w{1,100})", re.UNICODE)
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_.]{2,30})")
MAX_HASHTAGS = 30
MAX_MENTIONS = 20


def parse_hashtags(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_HASHTAGS]


def parse_mentions(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text or ""):
        seen.setdefault(match.group(1).rstrip(".").lower(), None)
    return list(seen)[:MAX_MENTIONS]
