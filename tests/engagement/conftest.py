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


@pytest.fixture(autouse=True)
def _fresh_access_cache() -> Any:
    from apps.engagement import access

    access.clear()
    yield
    access.clear()


@pytest.fixture
def drain() -> Any:
    """Run the worker step as Celery would (the queue is drained in process)."""
    from apps.engagement import pipeline

    return lambda **kwargs: pipeline.drain(budget_s=10, **kwargs)


@pytest.fixture
def redis_client() -> Any:
    from apps.engagement.redis_scripts import client

    return client()
