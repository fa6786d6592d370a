"""The batched statements of event recording, in both SQL dialects: PostgreSQL takes a batch
as a few array parameters (``unnest``), the embedded default's SQLite as VALUES lists."""

import json
from typing import Any

from django.db import connection
from django.db.models import Q

from apps.notifications.models import (
    Notification,
    NotificationActor,
    ProcessedEvent,
)


def columns(rows: list[tuple], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists, for ``unnest(%s::type[], ...)``: a batch is a few array
    parameters, not thousands of placeholders (the driver parses a query's placeholders in
    Python on every call)."""
    return [[row[i] for row in rows] for i in range(width)]


def claim_events(event_ids: list[str]) -> set[str]:
    """Insert the event ids; return those seen for the first time (ON CONFLICT DO NOTHING)."""
    if not event_ids:
        return set()
    table = ProcessedEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter (see _unnest)
            cursor.execute(
                f"INSERT INTO {table} (event_id, created_at) SELECT e, CURRENT_TIMESTAMP"  # noqa: S608 - table name is ours
                " FROM unnest(%s::varchar[]) AS e ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [event_ids],
            )
        else:
            placeholders = ",".join(["(%s, CURRENT_TIMESTAMP)"] * len(event_ids))
            cursor.execute(
                f"INSERT INTO {table} (event_id, created_at) VALUES {placeholders} "  # noqa: S608 - table name is ours
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                event_ids,
            )
        return {row[0] for row in cursor.fetchall()}


def rows_for_update(keys: list[tuple]) -> dict[tuple, Notification]:
    """The unread rows for these (recipient, kind, target, bucket) keys, locked in id order."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        # One join against the keys: an OR of hundreds of Q objects costs more Python to build
        # than the query costs PostgreSQL.
        table = connection.ops.quote_name(Notification._meta.db_table)
        found: Any = Notification.objects.raw(
            f"SELECT n.* FROM {table} n JOIN unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[])"  # noqa: S608
            " AS k(recipient_id, kind, target_key, bucket)"
            " ON n.recipient_id = k.recipient_id AND n.kind = k.kind AND n.target_key = k.target_key"
            " AND n.bucket = k.bucket WHERE NOT n.is_read ORDER BY n.id FOR UPDATE OF n",
            columns(keys, 4),
        )
    else:
        match = Q()
        for recipient_id, kind, target_key, bucket in keys:
            match |= Q(recipient_id=recipient_id, kind=kind, target_key=target_key, bucket=bucket)
        found = Notification.objects.select_for_update().filter(match, is_read=False).order_by("pk")
    return {(r.recipient_id, r.kind, r.target_key, r.bucket): r for r in found}


def save_aggregates(rows: list[Notification]) -> None:
    """Write the aggregated fields of locked rows: one statement on PostgreSQL, its values as
    arrays (bulk_update builds a CASE per row and field in Python)."""
    fields = ["actor_count", "recent_actor_ids", "data", "updated_at"]
    if connection.vendor != "postgresql":
        Notification.objects.bulk_update(rows, fields)
        return
    opts = Notification._meta
    table = connection.ops.quote_name(opts.db_table)
    data_encoder = opts.get_field("data").encoder
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS n SET actor_count = c.actor_count, recent_actor_ids = c.recent_actor_ids::jsonb,"  # noqa: S608
            " data = c.data::jsonb, updated_at = c.updated_at"
            " FROM unnest(%s::bigint[], %s::integer[], %s::text[], %s::text[], %s::timestamptz[])"
            " AS c(id, actor_count, recent_actor_ids, data, updated_at) WHERE n.id = c.id",
            [
                [row.pk for row in rows],
                [row.actor_count for row in rows],
                [json.dumps(row.recent_actor_ids) for row in rows],
                [json.dumps(row.data, cls=data_encoder) for row in rows],
                [row.updated_at for row in rows],
            ],
        )


def add_actors_many(actors_by_row: dict[int, list[int]]) -> dict[int, list[int]]:
    """Distinct new actors per row (one statement for the batch), in the given order."""
    pairs = [(row_id, actor_id) for row_id, actor_ids in actors_by_row.items() for actor_id in actor_ids]
    if not pairs:
        return {}
    table = NotificationActor._meta.db_table
    conflict = "ON CONFLICT (notification_id, actor_id) DO NOTHING RETURNING notification_id, actor_id"
    inserted: set[tuple[int, int]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (notification_id, actor_id, created_at) SELECT n, a, CURRENT_TIMESTAMP"  # noqa: S608
                f" FROM unnest(%s::bigint[], %s::bigint[]) AS p(n, a) {conflict}",
                columns(pairs, 2),
            )
            inserted.update(cursor.fetchall())
        else:
            for start in range(0, len(pairs), 1000):
                chunk = pairs[start : start + 1000]
                placeholders = ",".join(["(%s, %s, CURRENT_TIMESTAMP)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} (notification_id, actor_id, created_at) VALUES {placeholders} {conflict}",  # noqa: S608
                    [value for pair in chunk for value in pair],
                )
                inserted.update(cursor.fetchall())
    return {
        row_id: [actor_id for actor_id in actor_ids if (row_id, actor_id) in inserted]
        for row_id, actor_ids in actors_by_row.items()
    }
