"""Websocket authentication: a bearer token for API clients, the session cookie for browsers.

Browsers always send an Origin header, which must be one of ALLOWED_HOSTS. Native
apps often send none; they are let through and authenticate with a token, sent as the
subprotocol pair ``["bearer", "<access token>"]`` or as ``?token=`` in the URL.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from apps.accounts.authentication import RevocableJWTAuthentication


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
def user_for_token(raw: str) -> Any:
    auth = RevocableJWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw.encode()))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        raw = token_from_scope(scope)
        if raw:
            user = await user_for_token(raw)
            scope = dict(scope, user=user or AnonymousUser(), token_invalid=user is None)
        return await super().__call__(scope, receive, send)


def WebsocketAuthStack(inner: Any) -> Any:  # noqa: N802 - mirrors channels' own naming
    return OptionalOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(inner)), settings.ALLOWED_HOSTS)
