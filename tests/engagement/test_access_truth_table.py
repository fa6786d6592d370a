"""The like script (lua/like.lua) and access.py decide who may engage with a video by the same
rule. Each row of the truth table is decided both ways, on the same facts: Python from the
per-process caches, Lua from the shared facts hash and block set; a "full" check (followers-only
videos, private accounts) is the visibility selector's, given here as the row's answer."""

import uuid

import pytest

from apps.core.errors import NotFound
from apps.engagement import access, redis_scripts
from apps.engagement import redis_keys as keys
from apps.engagement.protocol import LikeArgs, LikeStatus
from apps.engagement.transport.redis_transport import like_keys

CREATOR, VIEWER = 5, 7

# creator (the viewer owns the video), published, open to all, blocked (a block either way), the
# full selector's answer, show_likes -> allowed, like count hidden from the viewer.
# A video open to all is published; the full selector refuses a blocked viewer.
TABLE = [
    # the owner: always, and sees the count
    (True, False, False, False, False, True, True, False),
    (True, True, False, False, False, False, True, False),
    (True, True, True, False, False, False, True, False),
    # open to all: everyone but a blocked viewer; the selector is never asked
    (False, True, True, False, False, True, True, False),
    (False, True, True, False, False, False, True, True),
    (False, True, True, True, False, True, False, None),
    # not published: nobody but the owner
    (False, False, False, False, True, True, False, None),
    (False, False, False, True, False, True, False, None),
    # published, not open to all (followers-only, private account): the selector decides
    (False, True, False, False, True, True, True, False),
    (False, True, False, False, True, False, True, True),
    (False, True, False, False, False, True, False, None),
    (False, True, False, True, False, True, False, None),
]


def python_decision(monkeypatch, video_id, *, user_id, published, open_to_all, blocked, selector, show_likes):
    creator_id = user_id if user_id == CREATOR else CREATOR
    info = {
        "creator_id": creator_id,
        "published": published,
        "open_to_all": open_to_all,
        "show_likes": show_likes,
        "publish_at": None,
        "counts": {"likes": 0, "views": 0, "shares": 0},
        "duration_ms": 0,
    }
    access._videos[video_id] = info
    access._blocks[creator_id] = {user_id} if blocked else set()

    def full_check(*, video_id, user):
        if not selector:
            raise NotFound("No such video.", code="video_not_found")

    monkeypatch.setattr(access, "full_check", full_check)
    user = type("User", (), {"pk": user_id, "is_authenticated": True})()
    try:
        access.check_can_engage(video_id=video_id, user=user)
    except NotFound:
        return False, None
    return True, access.likes_hidden(info, user)


def lua_decision(video_id, *, user_id, published, open_to_all, blocked, selector, show_likes):
    client = redis_scripts.client()
    creator_id = user_id if user_id == CREATOR else CREATOR
    facts = {"c": creator_id, "pub": int(published), "open": int(open_to_all), "ve": "0", "ce": "0"}
    client.hset(keys.access_facts(video_id), mapping={**facts, "hl": int(not show_likes), "sl": 0, "sv": 0, "ss": 0})
    client.delete(keys.block_partners(creator_id))
    client.sadd(keys.block_partners(creator_id), "-", *([user_id] if blocked else []))
    script_keys = like_keys(user_id=user_id, video_id=video_id, window=0)
    args = LikeArgs(video_id, "1", '{"e": 1}', user_id, "check", 10**9, 10**9, 60, 1000, "")
    status, _, _, *hidden = redis_scripts.run("like", keys=script_keys, args=args)
    if status == LikeStatus.FULL_CHECK and selector:
        status, _, _, *hidden = redis_scripts.run("like", keys=script_keys, args=args._replace(mode="trusted"))
    if status in (LikeStatus.HIDDEN, LikeStatus.FULL_CHECK):
        return False, None
    assert status == LikeStatus.ACCEPTED, status
    return True, hidden == [1]


@pytest.mark.parametrize("owner,published,open_to_all,blocked,selector,show_likes,allowed,hidden", TABLE)
def test_lua_and_python_decide_access_alike(
    monkeypatch, owner, published, open_to_all, blocked, selector, show_likes, allowed, hidden
):
    video_id = uuid.uuid4().int % 10**9
    row = {
        "user_id": CREATOR if owner else VIEWER,
        "published": published,
        "open_to_all": open_to_all,
        "blocked": blocked,
        "selector": selector,
        "show_likes": show_likes,
    }

    in_python = python_decision(monkeypatch, video_id, **row)
    in_lua = lua_decision(video_id, **row)

    assert in_python == in_lua == (allowed, hidden)
