"""The request scripts' protocol is named once (protocol.py) and every script is loaded from
one registry (redis_scripts.py, lua/*.lua)."""

import re
from pathlib import Path

import pytest

from apps.engagement import protocol, redis_scripts
from apps.engagement.protocol import BatchArgs, BatchKeys, BatchRefusal, EventStatus, LikeKeys, LikeStatus

ENGAGEMENT = Path(redis_scripts.__file__).parent


def test_every_script_loads_into_redis_with_every_placeholder_resolved():
    client = redis_scripts.client()
    for name in redis_scripts.names():
        text = redis_scripts.source(name)

        assert "${" not in text
        assert client.script_load(text) == redis_scripts.script(name).sha


@pytest.mark.parametrize(
    "script,enum", [("like", LikeStatus), ("batch", EventStatus), ("batch", BatchRefusal)], ids=str
)
def test_every_status_is_used_by_name_in_its_script(script, enum):
    text = (redis_scripts.LUA_DIR / f"{script}.lua").read_text()

    assert {member.name for member in enum} <= set(re.findall(rf"\${{{enum.__name__}\.(\w+)}}", text))


@pytest.mark.parametrize("script", ["like", "batch"])
def test_the_request_scripts_name_every_key_and_argument(script):
    text = (redis_scripts.LUA_DIR / f"{script}.lua").read_text()

    assert not re.search(r"(KEYS|ARGV)\[\d", text)  # positions come from protocol.py only
    assert not re.search(r"return \{-?\d", text)  # statuses too


def test_positions_follow_the_field_order_and_variadic_fields_are_spread_last():
    keys = BatchKeys("s", "d", "k", "l", "w", ("b1", "b2"))

    assert protocol.spread(keys) == ["s", "d", "k", "l", "w", "b1", "b2"]
    assert protocol.position(BatchKeys, "budgets") == 6
    assert protocol.position(BatchArgs, "limits") == 8
    assert protocol.position(LikeKeys, "identity_deny") == 12


def test_an_unknown_placeholder_is_refused_at_load(tmp_path, monkeypatch):
    (tmp_path / "broken.lua").write_text("return ${LikeStatus.NO_SUCH_STATUS}")
    monkeypatch.setattr(redis_scripts, "LUA_DIR", tmp_path)

    with pytest.raises(ValueError, match=r"broken\.lua"):
        redis_scripts.source("broken")


def test_no_lua_lives_in_engagements_python():
    offenders = [
        str(path.relative_to(ENGAGEMENT))
        for path in ENGAGEMENT.rglob("*.py")
        if "redis.call(" in path.read_text() or ".eval(" in path.read_text()
    ]

    assert offenders == []
