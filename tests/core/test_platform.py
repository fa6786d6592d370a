"""Project-wide guarantees: stdlib not shadowed, schema valid, compose file valid, router."""

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import CASSANDRA

ROOT = Path(__file__).resolve().parents[2]


def test_stdlib_platform_module_is_not_shadowed():
    assert platform.system() == "Linux"
    assert Path(platform.__file__).parent != ROOT / "platform"


def test_stdlib_platform_works_inside_a_django_process():
    code = "import django, platform, uuid; django.setup(); print(platform.system(), uuid.uuid4().version)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"DJANGO_SETTINGS_MODULE": "settings.local", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Linux", "4"]


@pytest.mark.django_db
def test_openapi_schema_validates(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/videos/{video_id}" in text
    assert "/api/v1/auth/refresh" in text


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose (Debian package) not installed")
def test_docker_compose_file_is_valid():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x" * 60}
    compose = ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"]

    result = subprocess.run([*compose, "-q"], capture_output=True, text=True, timeout=60, env=env)
    services = subprocess.run([*compose, "--services"], capture_output=True, text=True, timeout=60, env=env)

    assert result.returncode == 0, result.stderr
    assert {"postgres", "redis", "cassandra", "web", "worker", "beat"} <= set(services.stdout.split())


def test_docker_compose_refuses_to_run_without_a_secret_key():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose not installed")
    compose = ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"]

    result = subprocess.run(compose, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_replica_router_sends_reads_to_replicas_outside_transactions(settings):

    from apps.core.db_router import PrimaryReplicaRouter
    from apps.videos.models import Video

    settings.DATABASES = {**settings.DATABASES, "replica_0": {**settings.DATABASES["default"]}}
    router = PrimaryReplicaRouter()

    assert router.db_for_read(Video) == "replica_0"
    assert router.db_for_write(Video) == "default"
    assert router.allow_migrate("replica_0", "videos") is False


@pytest.mark.django_db(transaction=True)
def test_replica_router_keeps_reads_on_primary_inside_a_transaction(settings):
    from django.db import transaction

    from apps.core.db_router import PrimaryReplicaRouter
    from apps.videos.models import Video

    settings.DATABASES = {**settings.DATABASES, "replica_0": {**settings.DATABASES["default"]}}
    with transaction.atomic():
        assert PrimaryReplicaRouter().db_for_read(Video) == "default"


@CASSANDRA
def test_health_ready_reports_each_service(client, settings):
    settings.HEALTH_TOKEN = "probe-token"
    response = client.get("/health/ready", HTTP_X_HEALTH_TOKEN="probe-token")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["cache"]["ok"] and checks["engagement_store"]["ok"]


@pytest.mark.django_db
def test_health_ready_says_which_service_is_down_without_hanging(client, monkeypatch, settings):
    import time

    from cassandra.cluster import Cluster

    from apps.engagement import store
    from apps.engagement.store.cassandra import CassandraStore

    dead = CassandraStore(session_factory=lambda: Cluster(["127.0.0.1"], port=1, connect_timeout=1).connect())
    monkeypatch.setattr(store, "get_store", lambda: dead)
    started = time.monotonic()
    settings.HEALTH_TOKEN = "probe-token"

    response = client.get("/health/ready", HTTP_X_HEALTH_TOKEN="probe-token")

    assert time.monotonic() - started < 10
    assert response.status_code == 503
    check = response.json()["checks"]["engagement_store"]
    assert check["ok"] is False and "StoreUnavailable" in check["error"]
