"""The engagement store: one port, two adapters (Cassandra in production, the ORM embedded)."""

from functools import cache

from django.conf import settings

from apps.engagement.store.port import EngagementStore, StoreUnavailable

__all__ = ["EngagementStore", "StoreUnavailable", "get_store"]


@cache
def get_store() -> EngagementStore:
    if settings.ENGAGEMENT_STORE == "cassandra":
        from apps.engagement.store.cassandra import CassandraStore

        return CassandraStore()
    from apps.engagement.store.orm import OrmStore

    return OrmStore()
