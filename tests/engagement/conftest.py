from typing import Any

import pytest

from apps.engagement.store.cassandra import CassandraStore
from apps.engagement.store.orm import OrmStore


@pytest.fixture(params=["orm", "cassandra"])
def store(request: Any) -> Any:
    """The contract suite runs once per adapter: ORM on PostgreSQL, Cassandra on the real node."""
    if request.param == "orm":
        request.getfixturevalue("db")
        adapter: Any = OrmStore()
    else:
        adapter = CassandraStore()
    adapter.truncate_all()
    return adapter


@pytest.fixture
def cassandra_store() -> CassandraStore:
    adapter = CassandraStore()
    adapter.truncate_all()
    return adapter
