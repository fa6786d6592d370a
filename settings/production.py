"""Production: everything from the environment; refuses to start without a real secret."""

from settings.base import *  # noqa: F403
from settings.env import env_bool, env_int, env_list, env_str

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise RuntimeError("DJANGO_SECRET_KEY must be set to a long random value in production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
# A test-only escape hatch (push to a local test server on 127.0.0.1): never in production.
if WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS:
    raise RuntimeError("WEBPUSH_ALLOW_LOOPBACK_ENDPOINTS is for tests only and cannot be enabled in production")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Media on S3-compatible object storage (django-storages) when a bucket is configured; private
# objects, served through the app's signed, expiring URLs or the bucket's own presigned ones.
if env_str("AWS_STORAGE_BUCKET_NAME"):
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
                "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
                "region_name": env_str("AWS_S3_REGION_NAME") or None,
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": env_int("MEDIA_SIGNED_URL_TTL_S", 3600),
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
