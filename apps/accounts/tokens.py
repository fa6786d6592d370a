"""Token handling, in one place: refresh tokens stored as digests, the claims and keys that
revoke access tokens, and the check of an access token's account inside another app's Redis
script (the like: one round trip). Other apps reach the last through apps.accounts.facade.

Refresh tokens: outstanding-token rows hold a SHA-256 of the token, never the token.

simplejwt's OutstandingToken stores what the client holds in clear: a database reader (a
backup, a replica, an admin with view rights) could replay any live session. Blacklisting
and revocation look rows up by ``jti`` only, so a digest loses nothing. Every place that
issues, rotates or blacklists a refresh token uses ``HashedRefreshToken``.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import BlacklistMixin, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

TOKEN_GENERATION_CLAIM = "gen"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class HashedRefreshToken(RefreshToken):
    @classmethod
    def for_user(cls, user: Any) -> "HashedRefreshToken":
        # Skip BlacklistMixin.for_user (it stores the token in clear); the generation claim is
        # set before the row is written so the digest is of exactly what the client gets.
        token = super(BlacklistMixin, cls).for_user(user)
        token[TOKEN_GENERATION_CLAIM] = user.token_generation  # copied into its access tokens
        OutstandingToken.objects.create(
            user=user,
            jti=token[api_settings.JTI_CLAIM],
            token=token_digest(str(token)),
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        return token

    def _outstanding(self) -> tuple[OutstandingToken, bool]:
        user_model = get_user_model()
        user_id = self.payload.get(api_settings.USER_ID_CLAIM)
        user = user_model.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        return OutstandingToken.objects.get_or_create(
            jti=self.payload[api_settings.JTI_CLAIM],
            defaults={
                "user": user,
                "created_at": self.current_time,
                "token": token_digest(str(self)),
                "expires_at": datetime_from_epoch(self.payload["exp"]),
            },
        )

    def outstand(self) -> tuple[OutstandingToken, bool]:  # type: ignore[override]
        return self._outstanding()

    def blacklist(self) -> tuple[BlacklistedToken, bool]:  # type: ignore[override]
        outstanding, _ = self._outstanding()
        return BlacklistedToken.objects.get_or_create(token=outstanding)


class HashedTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = HashedRefreshToken


# --- revocation of access tokens ----------------------------------------------------------------


def denied_access_key(jti: str) -> str:
    """The cache key that denies one access token (one-session logout)."""
    return f"jwt:denied:{jti}"


def token_generation_stale(*, user: Any, payload: dict[str, Any]) -> bool:
    """Was the token issued before the user's last "log out everywhere"?"""
    return payload.get(TOKEN_GENERATION_CLAIM, 0) != user.token_generation


def token_is_revoked(*, user: Any, payload: dict[str, Any]) -> bool:
    if token_generation_stale(user=user, payload=payload):
        return True
    jti = payload.get("jti")
    return bool(jti and django_cache.get(denied_access_key(jti)))


# --- checking the account inside another Redis script ------------------------------------------

# A Lua function a script can define and call to check, in its own round trip, the account a
# token names: the same checks as identity.token_identity (a current snapshot, an active account,
# the token's generation, no deny entry). Any doubt (no snapshot, a tombstone) answers false, and
# the caller then runs the full check in Python (account_resolved), which fills or refuses.
LUA_TOKEN_VALID = """
local function token_valid(snapshot_key, deny_key, generation)
  local snap = redis.call('GET', snapshot_key)
  if not snap or string.sub(snap, 1, 1) == '-' then return false end
  local ok, account = pcall(cjson.decode, snap)
  if not ok or account['is_active'] ~= true or tostring(account['token_generation']) ~= generation then
    return false
  end
  if deny_key ~= snapshot_key and redis.call('EXISTS', deny_key) == 1 then return false end
  return true
end
"""


def snapshot_key(user_id: int) -> str:
    """The Redis key of an account's identity snapshot (written and read by identity.py)."""
    return django_cache.make_key(f"acct:identity:{user_id}")


@dataclass(frozen=True)
class PendingToken:
    """What a script passes to ``token_valid``: KEYS snapshot_key and deny_key, ARGV generation."""

    user_id: int
    snapshot_key: str
    deny_key: str
    generation: str


class TokenIdentity:
    """The user a valid access token names, not yet checked against the account: for an
    endpoint whose own Redis script runs the account check (LUA_TOKEN_VALID) in the same round
    trip as its work. Anything else must call ``account_resolved()`` first."""

    is_authenticated = True
    is_anonymous = False

    def __init__(
        self, *, user_id: int, token: Any, deny_key: str | None, generation: int, resolver: Callable[[Any], Any]
    ) -> None:
        self.pk = self.id = user_id
        self.token = token
        self._resolver = resolver  # the authentication's full check, handed in (no import back)
        self.snapshot_key = snapshot_key(user_id)
        self.deny_key = django_cache.make_key(deny_key) if deny_key else self.snapshot_key
        self.generation = str(generation)

    @property
    def pending(self) -> PendingToken:
        return PendingToken(
            user_id=self.pk, snapshot_key=self.snapshot_key, deny_key=self.deny_key, generation=self.generation
        )

    def resolve(self) -> Any:
        """The full check (identity.token_identity): the account, or AuthenticationFailed."""
        return self._resolver(self.token)


def pending_token(user: Any) -> PendingToken | None:
    """The in-script check's arguments when authentication left the account to the script
    (``request.user`` of a view with ``account_checked_by_script``), else None (checked already)."""
    return user.pending if isinstance(user, TokenIdentity) else None


def account_resolved(user: Any) -> Any:
    """``user`` with its account checked (an unchecked token resolved; anything else as is)."""
    return user.resolve() if isinstance(user, TokenIdentity) else user
