"""The request path's Lua protocol, named once for both languages.

The scripts in ``apps/engagement/lua/`` never hold a bare status or a key position: they say
``${LikeStatus.BACKLOG}`` and ``KEYS[${LikeKeys.counters}]``, and ``redis_scripts`` substitutes
the values from this module when it loads them (text, at load: no cost per call). So adding a
refusal is one enum member here and one ``return`` in the script; adding a key or an argument
is one field here (its position follows) and its use in the script.

A NamedTuple's field order is the protocol (named tuples: building one costs what building the
list did, and json.dumps writes a row as the array the script reads): ``${Class.field}`` is a
field's 1-based position, and ``spread`` gives the values in that order, a variadic last field
(a tuple) spread at the end.
"""

from enum import IntEnum
from typing import Any, NamedTuple


class LikeStatus(IntEnum):
    """The like script's first reply value."""

    ACCEPTED = 1
    DUPLICATE = 0
    BACKLOG = -1  # too many stream entries waiting: 503 engagement_backlog
    RATE_LIMITED = -2  # the user's likes per minute
    FACTS_STALE = -3  # the access facts are missing or read under old epochs: refill, retry
    HIDDEN = -4  # the user may not see the video: 404
    FULL_CHECK = -5  # only the full visibility selector can decide: retry "trusted" once it allowed
    ACCOUNT_CHECK = -6  # the token's account needs the full check: resolve it, retry


class EventStatus(IntEnum):
    """Per event of the batch script, and the stream's "m" field (one digit per event)."""

    DUPLICATE = 0
    ACCEPTED = 1
    VIEW_COUNTED = 2  # accepted and counted as a view
    CAPPED = 3  # accepted; a view or share of an anonymous network over its cap: kept, not counted


class BatchRefusal(IntEnum):
    """The batch script refuses a whole request with ``{refusal, ...}``."""

    BACKLOG = -1
    OVER_BUDGET = -2  # {-2, ttl of the budget that ran out}


def spread(values: tuple[Any, ...]) -> list[Any]:
    """A protocol tuple as the script's KEYS or ARGV: a variadic last field spread at the end."""
    *fixed, last = values
    return [*fixed, *last] if isinstance(last, tuple) else [*fixed, last]


def position(cls: type, name: str) -> int:
    """The 1-based position of a field in KEYS, ARGV or a row (``${Class.field}`` in Lua)."""
    return cls._fields.index(name) + 1  # type: ignore[attr-defined]


class LikeKeys(NamedTuple):
    user_likes: str  # hash: video id -> "1"/"0"
    counters: str  # the video's live counter hash
    stream: str
    dirty: str
    kick: str
    live: str
    like_rate: str  # the user's likes this minute
    access_facts: str
    video_epoch: str
    watchers: str
    # The token's account snapshot and deny keys (apps/accounts/identity.py), or two harmless
    # keys (KICK) when the request resolved the account itself.
    identity_snapshot: str
    identity_deny: str


class LikeArgs(NamedTuple):
    video_id: int
    want: str  # "1" like, "0" unlike
    event: str  # the stream entry's "e" field (stream.encode_event)
    user_id: int
    mode: str  # "check", or "trusted" once the full selector allowed
    max_backlog: int
    rate_limit: int
    rate_window_s: int
    kick_ms: int
    token_generation: str  # "" when the account is resolved already


class BatchKeys(NamedTuple):
    stream: str
    dirty: str
    kick: str
    live: str
    watchers: str
    budgets: tuple[str, ...]  # the viewer's budget, and an anonymous network's


class BatchArgs(NamedTuple):
    view_window_s: int
    kick_ms: int
    max_backlog: int
    items: str  # JSON: one BatchRow per event
    payload: str  # the stream entry's "p" field (stream.encode_batch)
    budget_window_s: int
    n_events: int
    limits: tuple[int, ...]  # one per budget key, in the same order


class BatchRow(NamedTuple):
    """One event's input to the batch script (all strings: one JSON array per event)."""

    seen: str  # the event id's dedupe key
    view_window: str  # the viewer's view-window key, "" when the event cannot count a view
    counters: str
    video_id: str
    seed_likes: str
    seed_views: str
    seed_shares: str
    bump: str  # "shares", or "" (playback: may count a view)
    seen_ttl: str
    cap_key: str  # an anonymous network's cap key, or ""
    cap: str


LUA_NAMES: dict[str, Any] = {
    cls.__name__: cls
    for cls in (LikeStatus, EventStatus, BatchRefusal, LikeKeys, LikeArgs, BatchKeys, BatchArgs, BatchRow)
}
