"""Anonymous viewers: server-issued sessions and the client network they are counted under.

A client must not be able to mint viewers. Anonymous playback and shares carry a token from
``POST /api/v1/engagement/anonymous-session``: a random session id and the issuing network,
signed with Django's TimestampSigner (so it expires, and a forged or edited one is refused).
The session id of anonymous events comes from the token, never from the request body.
Tokens are issued at a per-network rate; the views and shares one network can have counted
per video are capped in the request path (transport/), whatever the number of tokens.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing

from apps.core.errors import ApplicationError

SALT = "reelhouse.engagement.anonymous-session"
SESSION_PREFIX = "a:"  # server-issued ids; client-chosen ones are never accepted any more


class AnonymousSessionError(ApplicationError):
    status_code = 401
    code = "anonymous_session_required"
    message = "Anonymous playback and shares need a session from POST /api/v1/engagement/anonymous-session."


@dataclass(frozen=True)
class AnonymousSession:
    session_id: str
    network: str  # the network it was issued to (the caps count the network a request comes from)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def session_issue(*, network: str) -> tuple[str, datetime]:
    """A new signed session token for a client of ``network`` and when it expires (rate
    limiting is the caller's)."""
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.ANON_SESSION_TTL_S)
    token = _signer().sign_object({"s": SESSION_PREFIX + secrets.token_urlsafe(16), "n": network})
    return token, expires_at


def session_verify(token: str) -> AnonymousSession:
    """The session a token carries; AnonymousSessionError with a stable code if it is missing,
    forged, malformed or expired."""
    if not token:
        raise AnonymousSessionError()
    try:
        data = _signer().unsign_object(token, max_age=settings.ANON_SESSION_TTL_S)
    except signing.SignatureExpired:
        raise AnonymousSessionError(
            "The anonymous session expired; ask for a new one.", code="anonymous_session_expired"
        ) from None
    except (signing.BadSignature, ValueError, UnicodeError):  # forged, edited, or not a token at all
        raise AnonymousSessionError(
            "The anonymous session token is not valid.", code="anonymous_session_invalid"
        ) from None
    session_id, network = (data.get("s"), data.get("n")) if isinstance(data, dict) else (None, None)
    if not isinstance(session_id, str) or not session_id.startswith(SESSION_PREFIX) or not isinstance(network, str):
        raise AnonymousSessionError("The anonymous session token is not valid.", code="anonymous_session_invalid")
    return AnonymousSession(session_id=session_id, network=network)
