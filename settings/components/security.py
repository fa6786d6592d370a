"""Rate limits, the client address behind proxies and login lockout (docs/security.md)."""

from datetime import timedelta
from typing import Any

from settings.components.engagement import LIKE_RATE_LIMIT
from settings.env import env_bool, env_int, env_str

# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default):
# the client is REMOTE_ADDR and X-Forwarded-For is ignored (anyone can write it).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)


def _limit(scope: str, per_user: int | None, per_network: int | None, window_s: int, **extra: Any) -> dict[str, Any]:
    """One scope's limits; ``RATE_LIMIT_<SCOPE>=user,network,window`` overrides them ("-": none)."""
    raw = env_str(f"RATE_LIMIT_{scope.upper().replace('-', '_')}", "")
    if raw:
        user, network, window = (part.strip() for part in raw.split(","))
        per_user = None if user == "-" else int(user)
        per_network = None if network == "-" else int(network)
        window_s = int(window)
    return {"per_user": per_user, "per_network": per_network, "window_s": window_s, **extra}


# scope: per user, per client network (IPv4 address or IPv6 /64), window in seconds. A network
# budget is shared by everyone behind one NAT, hence several users' worth.
RATE_LIMITS: dict[str, dict[str, Any]] = {
    "default": _limit("default", 60, 300, 60),
    "register": _limit("register", None, 10, 3600),
    # Checked before authenticate(): an over-budget network never reaches the password hasher.
    "login": _limit("login", None, 30, 300),
    "token-refresh": _limit("token-refresh", None, 300, 300),
    "logout": _limit("logout", 30, 300, 300),
    "password-change": _limit("password-change", 5, 20, 900),
    "profile": _limit("profile", 30, 150, 600),
    "follow": _limit("follow", 100, 500, 3600),
    "block": _limit("block", 50, 250, 3600),
    # The same variable (and default) as settings.COMMENTS_HARD_LIMIT_PER_MIN: comment writes
    # are limited here, the comments app keeps only its flood signal for moderation.
    "comment": _limit("comment", env_int("COMMENTS_HARD_LIMIT_PER_MIN", 30), 150, 60),
    "comment-like": _limit("comment-like", 120, 600, 60),
    "comment-moderation": _limit("comment-moderation", 120, 600, 60),
    # Likes are limited inside the like script (apps/engagement/lua/like.lua, one Redis round
    # trip): LIKE_RATE_LIMIT likes + unlikes per user per minute; listed here for the table.
    "like": _limit("like", LIKE_RATE_LIMIT, None, 60, in_script=True),
    "share": _limit("share", 30, 300, 60),
    "playback": _limit("playback", 120, 1200, 60),
    "video-create": _limit("video-create", 20, 100, 3600),
    "video-write": _limit("video-write", 60, 300, 600),
    "upload-chunk": _limit("upload-chunk", 600, 3000, 3600),
    "push-subscription": _limit("push-subscription", 10, 50, 3600),
    "notifications": _limit("notifications", 120, 600, 60),
    # Server-issued anonymous playback sessions (apps/engagement/anonymous.py), per network.
    "anonymous-session": _limit(
        "anonymous-session",
        None,
        env_int("ANON_SESSIONS_PER_NETWORK", 100),
        env_int("ANON_SESSION_ISSUE_WINDOW_S", 3600),
    ),
}

# URL name -> scope. A write endpoint not listed here is limited as "default", counted per URL name.
RATE_LIMIT_SCOPES: dict[str, str] = {
    "auth-register": "register",
    "auth-login": "login",
    "auth-refresh": "token-refresh",
    "auth-logout": "logout",
    "auth-logout-all": "logout",
    "auth-password": "password-change",
    "me": "profile",
    "me-avatar": "profile",
    "me-settings": "profile",
    "user-follow": "follow",
    "me-follow-request": "follow",
    "me-follower": "follow",
    "user-block": "block",
    "video-comments": "comment",
    "comment-replies": "comment",
    "comment-detail": "comment",
    "comment-like": "comment-like",
    "comment-pin": "comment-moderation",
    "comment-hide": "comment-moderation",
    "comment-moderate": "comment-moderation",
    "video-like": "like",
    "video-share": "share",
    "engagement-playback": "playback",
    "video-list": "video-create",
    "video-upload": "video-create",
    "upload-list": "video-create",
    "video-detail": "video-write",
    "video-retry": "video-write",
    "upload-detail": "video-write",
    "upload-finalise": "video-write",
    "upload-chunk": "upload-chunk",
    "push-subscriptions": "push-subscription",
    "notification-read": "notifications",
    "notification-read-all": "notifications",
    "notification-preferences": "notifications",
    "engagement-anonymous-session": "anonymous-session",
}

# --- login lockout: django-axes, for the API login and the admin login alike ----------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before any hashing
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_LOCKOUT_S", 900))
# Locked when either the account or the client network has failed too often.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "apps.core.ratelimit.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.lockout_username"
# A success does not wipe the failures: else an attacker resets their network's count by
# logging in to an account of their own between guesses. Failures expire after the cool-off.
AXES_RESET_ON_SUCCESS = False
AXES_NEVER_LOCKOUT_GET = True
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password"]
