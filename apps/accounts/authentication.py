"""JWT authentication that honours revocation (logout, log out everywhere)."""

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from apps.accounts import services


class RevocableJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        if services.token_is_revoked(user=user, payload=validated_token.payload):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return user
