"""Celery configuration (read by workers/celery.py with namespace CELERY)."""

from kombu import Queue

from settings.env import env_bool, env_int, env_str

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", env_str("REDIS_URL", "redis://127.0.0.1:56379/0"))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# At-least-once: a task is acknowledged after it ran; a lost worker re-queues it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("engagement"), Queue("notifications"), Queue("media")]
CELERY_TASK_ROUTES = {
    "engagement.*": {"queue": "engagement"},
    "notifications.*": {"queue": "notifications"},
    "media.*": {"queue": "media"},
}
CELERY_BEAT_SCHEDULE: dict = {}

# workers/base.py: transient errors are retried this many times, after 2, 4, 8 ... seconds
# (full jitter) capped at the max; then the task is a dead letter in the admin.
TASK_MAX_RETRIES = env_int("TASK_MAX_RETRIES", 5)
TASK_RETRY_BACKOFF_S = env_int("TASK_RETRY_BACKOFF_S", 2)
TASK_RETRY_BACKOFF_MAX_S = env_int("TASK_RETRY_BACKOFF_MAX_S", 300)
