"""Refresh tokens whose outstanding-token rows hold a SHA-256 of the token, never the token.

simplejwt's OutstandingToken stores what the client holds in clear: a database reader (a
backup, a replica, an admin with view rights) could replay any live session. Blacklisting
and revocation look rows up by ``jti`` only, so a digest loses nothing. Every place that
issues, rotates or blacklists a refresh token uses ``HashedRefreshToken``.
"""

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
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
