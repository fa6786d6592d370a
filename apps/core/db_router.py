"""Send plain ORM reads to read replicas (when DATABASE_REPLICA_URLS configures any).

Reads inside a transaction stay on the primary so a request sees its own writes.
"""

import random
from typing import Any

from django.conf import settings
from django.db import connections


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


class PrimaryReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        replicas = replica_aliases()
        if not replicas or connections["default"].in_atomic_block:
            return "default"
        return random.choice(replicas)

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        sql = {"default", *replica_aliases()}
        if obj1._state.db in sql and obj2._state.db in sql:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if db.startswith("replica_") or db == "cassandra":
            # Replicas are copies of the primary; Cassandra tables are synced by
            # django-cassandra-engine (`migrate --database cassandra`), never migrated.
            return False
        return None
