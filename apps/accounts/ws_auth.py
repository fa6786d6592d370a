"""Websocket authentication: a bearer token for API clients, the session cookie for browsers.

Browsers always send an Origin header, which must be one of ALLOWED_HOSTS. Native
apps often send none; they are let through and authenticate with a token, sent as the
subprotocol pair ``["bearer", "<access token>"]`` or as ``?token=`` in the URL.

A socket outlives the checks made when it connected, so ``RecheckingConsumer`` repeats them
while it is open: at every WS_RECHECK_MS tick the token must still be valid (not revoked by
logout or "log out everywhere", the account still active: one Redis read) and the
subclass's own access check must still pass; a token's expiry closes the socket at that
moment. Close codes: CLOSE_UNAUTHORIZED (4401) for authentication, 4403/4404 as each
consumer documents for access.
"""

import asyncio
import logging
import time
from typing import Any
from urllib.parse import parse_qs

import redis
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from apps.accounts.authentication import RevocableJWTAuthentication
from apps.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401  # no, a bad, an expired or a revoked token


class OptionalOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True  # not a browser: no cookie-borne (CSRF-like) risk
        return self.validate_origin(parsed_origin)


def token_from_scope(scope: dict[str, Any]) -> str | None:
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0].lower() == "bearer":
        return protocols[1]
    query = parse_qs(scope.get("query_string", b"").decode())
    return (query.get("token") or [None])[0]


@database_sync_to_async
def user_for_token(raw: str) -> tuple[Any, Any]:
    """The token's user and the validated token, or (None, None)."""
    auth = RevocableJWTAuthentication()
    try:
        token = auth.get_validated_token(raw.encode())
        return auth.get_user(token), token
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None, None


@database_sync_to_async
def token_still_valid(token: Any) -> bool:
    """The connect-time check again (revocation, account active), from the identity snapshot."""
    try:
        RevocableJWTAuthentication().get_user(token)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return False
    return True


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        raw = token_from_scope(scope)
        if raw:
            user, token = await user_for_token(raw)
            scope = dict(scope, user=user or AnonymousUser(), token_invalid=user is None, token=token)
        return await super().__call__(scope, receive, send)


class RecheckingConsumer(AsyncJsonWebsocketConsumer):
    """A consumer that keeps checking, while open, that its subscriber may still receive.

    Call ``start_rechecks()`` once accepted; override ``recheck_access()`` (run every tick,
    returns a close code or None). Handlers call ``may_send()`` before sending anything pushed
    to them: it is False once the socket was refused, and closes a socket whose token expired."""

    refused_code: int | None = None
    _recheck_task: asyncio.Task | None = None

    def _token_expiry(self) -> float | None:
        token = self.scope.get("token")
        exp = token.payload.get("exp") if token is not None else None
        return float(exp) if exp is not None else None

    async def start_rechecks(self) -> None:
        self._recheck_task = asyncio.create_task(self._recheck_loop())

    async def stop_rechecks(self) -> None:
        task, self._recheck_task = self._recheck_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def refuse(self, code: int) -> None:
        """Close the socket and drop whatever is still pushed to it until it is gone."""
        if self.refused_code is None:
            self.refused_code = code
            await self.close(code=code)
        await self.stop_rechecks()

    async def may_send(self) -> bool:
        if self.refused_code is not None:
            return False
        expiry = self._token_expiry()
        if expiry is not None and time.time() >= expiry:
            await self.refuse(CLOSE_UNAUTHORIZED)
            return False
        return True

    async def recheck_auth(self) -> int | None:
        expiry = self._token_expiry()
        if expiry is not None and time.time() >= expiry:
            return CLOSE_UNAUTHORIZED
        token = self.scope.get("token")
        if token is not None and not await token_still_valid(token):
            return CLOSE_UNAUTHORIZED
        return None

    async def recheck_access(self) -> int | None:
        return None

    async def _recheck_loop(self) -> None:
        interval = settings.WS_RECHECK_MS / 1000
        while self.refused_code is None:
            expiry = self._token_expiry()
            # Wake at the tick or the token's expiry, whichever comes first.
            await asyncio.sleep(max(min(interval, expiry - time.time()) if expiry else interval, 0))
            try:
                code = await self.recheck_auth() or await self.recheck_access()
            except (ServiceUnavailable, redis.RedisError, DatabaseError):
                # A backing service is down: the next tick tries again (closing every socket on
                # a blip would be worse; nothing new reaches them while the pipeline is down).
                log.warning("websocket recheck unavailable", exc_info=True)
                continue
            if code is not None:
                await self.refuse(code)


def WebsocketAuthStack(inner: Any) -> Any:  # noqa: N802 - mirrors channels' own naming
    return OptionalOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)), settings.ALLOWED_HOSTS)
