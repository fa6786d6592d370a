"""The benchmark app is the bench's, not the product's: production does not install it, and a
migration drops what it left in databases migrated while it was installed everywhere."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ("core", "0001_drop_benchmark_tables")
BENCH_TABLES = {"benchmarks_naivelike", "benchmarks_naiveevent"}
drop = importlib.import_module("apps.core.migrations.0001_drop_benchmark_tables")


def run_drop_migration() -> None:
    """The migration's forward step, on its historical models, as `migrate` runs it."""
    state = MigrationLoader(connection).project_state(MIGRATION)
    with connection.schema_editor() as editor:
        drop.drop_benchmark_tables(state.apps, editor)


def without_bench(monkeypatch) -> None:
    """Settings as production's: the app's entry gone (the DDL runs in the test's transaction,
    rolled back after it, so the registry and the other tests keep the tables)."""
    monkeypatch.setattr(settings, "INSTALLED_APPS", [a for a in settings.INSTALLED_APPS if a != "bench.django_app"])


def bench_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'benchmarks'")
        migrations = cursor.fetchone()[0]
    return {
        "tables": len(BENCH_TABLES & set(connection.introspection.table_names())),
        "migrations": migrations,
        "content_types": ContentType.objects.filter(app_label="benchmarks").count(),
        "permissions": Permission.objects.filter(content_type__app_label="benchmarks").count(),
    }


@pytest.mark.parametrize("module", ["settings.production", "settings.local"])
def test_the_product_settings_do_not_install_the_benchmark_app(module):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "x" * 64,
        "DJANGO_ALLOWED_HOSTS": "reelhouse.example",
    }
    code = "from django.conf import settings; import json; print(json.dumps([settings.INSTALLED_APPS, settings.ROOT_URLCONF]))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)

    installed, urlconf = json.loads(out.stdout)
    assert not [app for app in installed if "bench" in app]
    assert urlconf == "settings.urls"


def test_the_bench_and_test_settings_install_it():
    from settings import bench

    assert "bench.django_app" in bench.INSTALLED_APPS
    assert bench.ROOT_URLCONF == "bench.django_app.root_urls"
    assert "bench.django_app" in settings.INSTALLED_APPS


def test_a_product_database_loses_the_benchmark_tables_and_records(db, monkeypatch):
    # Given a database migrated while the app was installed everywhere (tables, migration
    # record, content types and their permissions, one granted to a group)
    group = Group.objects.create(name="old-operators")
    group.permissions.add(Permission.objects.get(codename="view_naivelike"))
    assert bench_rows() == {"tables": 2, "migrations": 1, "content_types": 2, "permissions": 8}

    # When the migration runs under settings that do not install the benchmark app
    without_bench(monkeypatch)
    run_drop_migration()

    # Then nothing of it is left, and the group lost only that permission
    assert bench_rows() == {"tables": 0, "migrations": 0, "content_types": 0, "permissions": 0}
    assert Group.objects.get(pk=group.pk).permissions.count() == 0


def test_running_it_again_or_on_a_fresh_database_changes_nothing(db, monkeypatch):
    without_bench(monkeypatch)
    run_drop_migration()
    run_drop_migration()  # no tables left: IF EXISTS

    assert bench_rows() == {"tables": 0, "migrations": 0, "content_types": 0, "permissions": 0}


def test_a_database_that_runs_the_benchmark_app_keeps_its_tables(db):
    # Given the benchmark or test settings (the app installed), when the migration runs
    before = bench_rows()
    run_drop_migration()

    # Then its tables and records stay
    assert bench_rows() == before == {"tables": 2, "migrations": 1, "content_types": 2, "permissions": 8}
