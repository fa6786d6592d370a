from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts import services as account_services
from tests.factories import UserFactory, VideoFactory


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    tokens = account_services.tokens_for_user(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


@pytest.fixture
def creator(db: Any) -> Any:
    return UserFactory(username="creator")


@pytest.fixture
def viewer(db: Any) -> Any:
    return UserFactory(username="viewer")


@pytest.fixture
def moderator(db: Any) -> Any:
    from django.contrib.auth.models import Group, Permission

    from apps.accounts.groups import ensure_operator_groups

    ensure_operator_groups(Group, Permission)  # transactional tests may have flushed the migration's rows
    user = UserFactory(username="moderator", is_staff=True)
    user.groups.add(Group.objects.get(name="moderator"))
    return user


@pytest.fixture
def video_factory(db: Any) -> Any:
    return VideoFactory


@pytest.fixture
def user_factory(db: Any) -> Any:
    return UserFactory


CASSANDRA = pytest.mark.django_db(databases=["default", "cassandra"])
"""Mark for tests that use the Cassandra node: pytest-django creates the test keyspace once."""


def task_callbacks(callbacks: list[Any]) -> list[Any]:
    """The on-commit callbacks that enqueue Celery tasks (``partial(task.delay, ...)``), without
    the others (e.g. engagement moving its access epochs)."""
    return [c for c in callbacks if "delay" in repr(c) or "apply_async" in repr(c)]


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Shut the Cassandra driver down while logging still works: left to the interpreter's
    exit, its event-loop thread logs to a closed stream ("--- Logging error ---")."""
    from cassandra.cqlengine import connection as cql

    cql.unregister_connection("cassandra")
