"""Comments and notifications: periodic safety nets (see docs/comments-notifications.md)."""

from datetime import timedelta

from settings.env import env_int

# Writes schedule a counts flush themselves; this beat entry only catches ids left in the dirty
# sets (a lost countdown task, a restart). An expired run is simply skipped: the next one recounts.
COMMENTS_FLUSH_BACKUP_S = env_int("COMMENTS_FLUSH_BACKUP_S", 5)

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
