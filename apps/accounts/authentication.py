"""JWT authentication that honours revocation (logout, log out everywhere)."""

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from apps.accounts import identity, tokens


class RevocableJWTAuthentication(JWTAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if not (getattr(view, "account_checked_by_script", False) and request.method in ("POST", "DELETE")):
            return super().authenticate(request)
        # The view's Redis script checks the account in the round trip that does its work (the
        # like: apps/engagement/lua/like.lua): the token is verified here (signature, expiry,
        # type), the account there.
        header = self.get_header(request)
        raw_token = self.get_raw_token(header) if header is not None else None
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        if api_settings.CHECK_REVOKE_TOKEN or not identity.shared():
            return self.get_user(validated_token), validated_token
        user_id, deny_key = _claims(validated_token)
        pending = tokens.TokenIdentity(
            user_id=user_id,
            token=validated_token,
            deny_key=deny_key,
            generation=validated_token.payload.get(tokens.TOKEN_GENERATION_CLAIM, 0),
            resolver=self.get_user,
        )
        return pending, validated_token

    def get_user(self, validated_token: Any) -> Any:
        if api_settings.CHECK_REVOKE_TOKEN:  # needs the password hash, which is never cached
            user = super().get_user(validated_token)
            if tokens.token_is_revoked(user=user, payload=validated_token.payload):
                raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
            return user
        user_id, deny_key = _claims(validated_token)
        user, denied = identity.token_identity(user_id=user_id, deny_key=deny_key)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if denied or tokens.token_generation_stale(user=user, payload=validated_token.payload):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user


def _claims(validated_token: Any) -> tuple[int, str | None]:
    """The user id a token names and its deny-list key (None for a token without a jti)."""
    try:
        user_id = int(validated_token[api_settings.USER_ID_CLAIM])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("Token contained no recognizable user identification") from exc
    jti = validated_token.payload.get("jti")
    return user_id, tokens.denied_access_key(jti) if jti else None
