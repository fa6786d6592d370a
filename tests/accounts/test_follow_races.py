"""Concurrent follow/unfollow from many threads against real PostgreSQL: counts stay exact."""

import threading

import pytest
from django.db import connection

from apps.accounts import services
from apps.accounts.models import Follow

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    errors = []

    def worker(args):
        try:
            barrier.wait()
            fn(*args)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(args,)) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_racing_follows_and_unfollows_keep_counts_exact(user_factory):
    target = user_factory()
    fans = [user_factory() for _ in range(8)]

    # Every fan follows twice at once (duplicates race on the unique constraint) ...
    errors = run_concurrently(
        lambda fan: services.follow_create(follower=fan, followee=target), [(f,) for f in fans * 2]
    )
    assert errors == []
    # ... then half of them unfollow twice at once.
    errors = run_concurrently(
        lambda fan: services.follow_delete(follower=fan, followee=target), [(f,) for f in fans[:4] * 2]
    )
    assert errors == []

    target.refresh_from_db()
    assert target.follower_count == Follow.objects.filter(followee=target).count() == 4
    for fan in fans:
        fan.refresh_from_db()
        assert fan.following_count == Follow.objects.filter(follower=fan).count()
