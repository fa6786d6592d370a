from typing import Any

import pytest

from apps.notifications import tasks as notification_tasks


@pytest.fixture
def video(creator: Any, video_factory: Any) -> Any:
    return video_factory(creator=creator)


@pytest.fixture
def sent_notifications(monkeypatch: Any) -> list[dict]:
    """Events handed to the notifications queue (after commit), flattened."""
    events: list[dict] = []
    monkeypatch.setattr(notification_tasks.record_events, "delay", lambda batch: events.extend(batch))
    return events
