import uuid
from datetime import UTC, datetime

from tests.conftest import CASSANDRA


@CASSANDRA
def test_worker_process_init_reconnects_cassandra_and_the_store_still_works(cassandra_store):
    from django.db import connections

    from apps.engagement.events import LikeChange
    from workers.celery import reconnect_cassandra_after_fork

    before = connections["cassandra"].connection.session
    reconnect_cassandra_after_fork()
    cassandra_store.apply_likes(
        [LikeChange(user_id=1, video_id=2, liked=True, at=datetime.now(UTC), event_id=uuid.uuid4())]
    )

    assert connections["cassandra"].connection.session is not before
    assert cassandra_store.like_count(video_id=2) == 1
