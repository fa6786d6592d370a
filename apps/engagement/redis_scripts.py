"""Engagement's Redis: the client (the project's shared Redis) and the one registry of Lua scripts.

Every script is a file ``apps/engagement/lua/<name>.lua``. Loading resolves ``${Name.member}``
placeholders (protocol.py's enums and positions, and the key prefixes of redis_keys.py) and
refuses a script with one left unresolved, so a Lua status or key position can never drift
from its Python name. Scripts run by EVALSHA (loaded again if Redis lost them).
"""

import re
from collections.abc import Sequence
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import redis
from redis.commands.core import Script

from apps.accounts import facade as accounts
from apps.core import shared_redis
from apps.engagement import protocol
from apps.engagement import redis_keys as keys

LUA_DIR = Path(__file__).with_name("lua")
# Shared Lua functions a script needs, prepended to it.
_PRELUDES = {"like": accounts.TOKEN_CHECK_LUA}
_PLACEHOLDER = re.compile(r"\$\{(\w+)\.(\w+)\}")


def client() -> redis.Redis:
    """The Redis of the engagement pipeline (the project's shared Redis)."""
    return shared_redis.connection()


def _value(namespace: str, member: str) -> str:
    if namespace == "keys":
        return str(getattr(keys, member))
    owner = protocol.LUA_NAMES[namespace]
    if isinstance(owner, type) and issubclass(owner, Enum):
        return str(int(owner[member].value))
    if hasattr(owner, "_fields"):
        return str(protocol.position(owner, member))
    raise KeyError(namespace)


def source(name: str) -> str:
    """The script's text as Redis runs it (placeholders resolved, preludes prepended)."""
    text = (LUA_DIR / f"{name}.lua").read_text()
    try:
        resolved = _PLACEHOLDER.sub(lambda m: _value(m.group(1), m.group(2)), text)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{name}.lua: unknown placeholder {exc}") from None
    if "${" in resolved:
        raise ValueError(f"{name}.lua: a placeholder is not of the form ${{Name.member}}")
    return _PRELUDES.get(name, "") + resolved


@cache
def script(name: str) -> Script:
    # Registered without a client (bytes: no client's encoder needed for the digest): every
    # call names the client or pipeline it runs on.
    return Script(None, source(name).encode())  # type: ignore[arg-type]


def run(name: str, *, keys: Sequence[Any], args: Sequence[Any], on: Any = None) -> Any:
    """EVALSHA the script ``name`` on ``on`` (a client or a pipeline; default: ``client()``)."""
    return script(name)(keys=keys, args=args, client=on if on is not None else client())


def names() -> list[str]:
    return sorted(path.stem for path in LUA_DIR.glob("*.lua"))
