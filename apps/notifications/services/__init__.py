"""Writes of notifications, by sub-domain (only Celery tasks call the event paths, never a
request). The names below are the app's service API: tasks, views, the admin and the facade
call them as ``services.<name>``; the modules are:

- ``events``: parse, dedupe and aggregate events into rows (``events_record``)
- ``rows``: the batched statements behind it, PostgreSQL and SQLite
- ``preferences``: kinds per channel, muting (``settings_update``)
- ``delivery``: push delivery records and the live message after commit (``deliver_live``)
- ``fanout``: new videos to followers in batches, the pull of missed videos (``notifications_seen``)
- ``inbox``: marking read
- ``webpush``: subscriptions and leased, retried push attempts
"""

from apps.notifications.services.delivery import deliver_live, queue_pushes
from apps.notifications.services.events import (
    RECENT_ACTORS,
    SYSTEM_KINDS,
    VIEW_CHECKED_KINDS,
    Event,
    event_from_dict,
    events_record,
)
from apps.notifications.services.fanout import new_video_fanout_batch, notifications_seen, video_publication_record
from apps.notifications.services.inbox import notification_mark_read, notifications_mark_all_read
from apps.notifications.services.preferences import is_muted, kind_enabled, settings_update
from apps.notifications.services.webpush import (
    FINAL_DELIVERY,
    push_delivery_attempt,
    push_delivery_replay,
    push_subscription_create,
    push_subscription_delete,
)

__all__ = [
    "FINAL_DELIVERY",
    "RECENT_ACTORS",
    "SYSTEM_KINDS",
    "VIEW_CHECKED_KINDS",
    "Event",
    "deliver_live",
    "event_from_dict",
    "events_record",
    "is_muted",
    "kind_enabled",
    "new_video_fanout_batch",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notifications_seen",
    "push_delivery_attempt",
    "push_delivery_replay",
    "push_subscription_create",
    "push_subscription_delete",
    "queue_pushes",
    "settings_update",
    "video_publication_record",
]
