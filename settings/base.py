"""Settings shared by every environment. Environment-specific modules import * from here."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-dev-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "apps.core",
    "apps.accounts",
    "apps.videos",
    "apps.engagement",
    "apps.comments",
    "apps.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a login lockout into a 429 (settings/components/security.py)
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"
ASGI_APPLICATION = "settings.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "postgres://reelhouse@127.0.0.1:55432/reelhouse")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
# Read replicas: comma-separated URLs; the router sends plain reads there.
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    DATABASES[f"replica_{_index}"] = dj_database_url.parse(_url, conn_max_age=60)
    DATABASES[f"replica_{_index}"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["apps.core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and cache --------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:56379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        "KEY_PREFIX": "rh",
    }
}

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# How long an account's authentication snapshot lives in Redis (apps/accounts/identity.py):
# as long as the access token issued with it. Changes replace it at once.
IDENTITY_CACHE_S = env_int("IDENTITY_CACHE_S", int(SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()) + 60)

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Every write endpoint: per-user and per-network limits from RATE_LIMITS (apps/core/ratelimit.py).
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.ratelimit.WriteRateLimit"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "apps.core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.ReelhouseAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reelhouse API",
    "DESCRIPTION": "Backend of a short-video platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "VisibilityEnum": "apps.core.choices.Visibility",
        "EngagementStatusEnum": "apps.engagement.api.serializers.ENGAGEMENT_STATUSES",
    },
}

# --- Channels --------------------------------------------------------------------
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# --- Celery (see workers/celery.py) -------------------------------------------
# --- Cassandra -------------------------------------------------------------------
from settings.components.cassandra import *  # noqa: E402,F403
from settings.components.cassandra import ENGAGEMENT_STORE, cassandra_database  # noqa: E402

if ENGAGEMENT_STORE == "cassandra":
    DATABASES["cassandra"] = cassandra_database()
    # django-cassandra-engine must come first: it replaces some management commands.
    INSTALLED_APPS.insert(0, "django_cassandra_engine")
from settings.components.celery import *  # noqa: E402,F403
from settings.components.engagement import *  # noqa: E402,F403
from settings.components.realtime import *  # noqa: E402,F403
from settings.components.social import *  # noqa: E402,F403

CELERY_BEAT_SCHEDULE.update(ENGAGEMENT_BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE.update(SOCIAL_BEAT_SCHEDULE)
from settings.components.media import *  # noqa: E402,F403
from settings.components.ops import *  # noqa: E402,F403
from settings.components.security import *  # noqa: E402,F403

CELERY_BEAT_SCHEDULE.update(MEDIA_BEAT_SCHEDULE)

# --- i18n, static, media --------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / ".run" / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".run" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Product limits ------------------------------------------------------------
CAPTION_MAX_LENGTH = 2200
BIO_MAX_LENGTH = 300
DISPLAY_NAME_MAX_LENGTH = 50

# --- Comments and notifications (docs/comments-notifications.md) -------------------
COMMENT_MAX_LENGTH = 500
COMMENTS_HARD_LIMIT_PER_MIN = env_int("COMMENTS_HARD_LIMIT_PER_MIN", 30)
COMMENTS_FLOOD_LIMIT = env_int("COMMENTS_FLOOD_LIMIT", 8)  # more in the window: held as flooding
COMMENTS_FLOOD_WINDOW_S = 60
COMMENTS_REPEAT_WINDOW_S = 3600
COMMENTS_RANK_DECAY_S = 45000
COMMENTS_FLUSH_INTERVAL_S = 2
COMMENTS_CLASSIFIER = env_str("COMMENTS_CLASSIFIER", "")  # dotted path; empty: rules only
NOTIFICATIONS_AGGREGATION_WINDOW_S = env_int("NOTIFICATIONS_AGGREGATION_WINDOW_S", 6 * 3600)
NOTIFICATIONS_FANOUT_BATCH = env_int("NOTIFICATIONS_FANOUT_BATCH", 1000)
NOTIFICATIONS_INACTIVE_AFTER_DAYS = env_int("NOTIFICATIONS_INACTIVE_AFTER_DAYS", 30)
NOTIFICATIONS_PULL_LIMIT = 50
NOTIFICATIONS_EVENT_DEDUPE_DAYS = 14
WEBPUSH_VAPID_PRIVATE_KEY = env_str("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_PUBLIC_KEY = env_str("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_SUBJECT = env_str("WEBPUSH_VAPID_SUBJECT", "mailto:ops@reelhouse.invalid")
WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS = env_bool("WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS", False)
WEBPUSH_TIMEOUT_S = 5
WEBPUSH_TTL_S = 24 * 3600
WEBPUSH_MAX_ATTEMPTS = 5
WEBPUSH_BACKOFF_BASE_S = 30
WEBPUSH_BACKOFF_MAX_S = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
