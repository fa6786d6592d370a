"""bench_seed: the benchmark's fixtures, and tokens the real authentication accepts."""

import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.engagement import redis_keys as keys
from apps.engagement.redis_scripts import client as redis_client
from apps.videos.models import Video


def test_seed_refuses_to_run_outside_the_benchmark_settings(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("bench_seed", out=str(tmp_path), users=2, probe_users=1)


@pytest.mark.urls("tests.benchmarks.urls")
def test_seed_writes_users_videos_and_working_tokens(db, settings, tmp_path):
    # Given the benchmark settings
    settings.BENCHMARK_ENDPOINTS = True

    # When the fixtures are created
    call_command("bench_seed", out=str(tmp_path), users=3, probe_users=2)

    # Then every set has its own visible videos and every token authenticates
    seed = json.loads((tmp_path / "seed.json").read_text())
    tokens = (tmp_path / "tokens.txt").read_text().split()
    ids = [pk for name in seed["sets"] for pk in seed["sets"][name]]
    assert len(tokens) == 3
    assert len((tmp_path / "probe_tokens.txt").read_text().split()) == 2
    assert len(ids) == len(set(ids)) == Video.objects.count()
    assert (tmp_path / "viral.txt").read_text().split() == [str(pk) for pk in seed["sets"]["viral"]]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[2]}")
    assert client.get("/api/v1/bench/noop").json() == {"ok": True}


def test_seed_leaves_every_video_ready_for_the_like_path(db, settings, tmp_path, django_capture_on_commit_callbacks):
    # Given the benchmark settings (bulk_create sends no model signals)
    settings.BENCHMARK_ENDPOINTS = True

    # When the fixtures are created (bench_seed runs in autocommit: after-commit work runs at once)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("bench_seed", out=str(tmp_path), users=2, probe_users=1)

    # Then every video's access facts are already in Redis, open to all: no like pays a refill
    ids = list(Video.objects.values_list("pk", flat=True))
    pipe = redis_client().pipeline(transaction=False)
    for pk in ids:
        pipe.hget(keys.access_facts(pk), "open")
    assert pipe.execute() == [b"1"] * len(ids)
