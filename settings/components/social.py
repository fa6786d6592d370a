"""Comments and notifications: periodic safety nets (see docs/comments-notifications.md)."""

from datetime import timedelta

from settings.env import env_int, env_list

# Writes schedule a counts flush themselves; this beat entry only catches ids left in the dirty
# sets (a lost countdown task, a restart). An expired run is simply skipped: the next one recounts.
COMMENTS_FLUSH_BACKUP_S = env_int("COMMENTS_FLUSH_BACKUP_S", 5)

# Web Push (apps/notifications/endpoints.py). Empty: any public https host; else the endpoint's
# host must equal or end with one of these, e.g. "fcm.googleapis.com,push.services.mozilla.com,
# notify.windows.com,push.apple.com".
WEBPUSH_ALLOWED_HOST_SUFFIXES = env_list("WEBPUSH_ALLOWED_HOST_SUFFIXES", "")
# Active subscriptions per user (browsers and devices); one more is refused (409).
WEBPUSH_MAX_SUBSCRIPTIONS_PER_USER = env_int("WEBPUSH_MAX_SUBSCRIPTIONS_PER_USER", 10)
# A worker sending a push holds the delivery this long (no row lock across the HTTP call); past
# it, a redelivered task may claim it again. Well above WEBPUSH_TIMEOUT_S.
WEBPUSH_LEASE_S = env_int("WEBPUSH_LEASE_S", 60)

SOCIAL_BEAT_SCHEDULE = {
    "comments-flush-counts": {
        "task": "comments.flush_counts",
        "schedule": timedelta(seconds=COMMENTS_FLUSH_BACKUP_S),
        "options": {"expires": COMMENTS_FLUSH_BACKUP_S * 2},
    },
    "notifications-prune-processed-events": {
        "task": "notifications.prune_processed_events",
        "schedule": timedelta(days=1),
        "options": {"expires": 3600},
    },
}
