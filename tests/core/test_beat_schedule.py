"""Every beat entry names a task the workers know, and every entry can expire."""

from datetime import timedelta

from django.conf import settings

from workers.celery import app


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()  # what a worker does at start: autodiscover the apps' tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled - set(app.tasks) == set()
    assert {"comments.flush_counts", "notifications.prune_processed_events"} <= scheduled


def test_every_beat_entry_expires_before_it_piles_up():
    without = [name for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if not entry["options"].get("expires")]

    assert without == []


def test_social_safety_nets_run_often_enough():
    by_task = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert by_task["comments.flush_counts"]["schedule"] <= timedelta(seconds=10)
    assert by_task["notifications.prune_processed_events"]["schedule"] == timedelta(days=1)
