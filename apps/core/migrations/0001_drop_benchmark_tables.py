"""The benchmark's baseline tables left the product (they live with bench/django_app now).

Databases migrated while the app was in the base INSTALLED_APPS still hold its tables, its
migration record, content types and permissions: drop them, unless this database runs the
benchmark app (settings.bench, settings.test), whose own migrations own those tables."""

from django.conf import settings
from django.db import migrations

BENCH_APP = "bench.django_app"
BENCH_LABEL = "benchmarks"
BENCH_TABLES = ("benchmarks_naivelike", "benchmarks_naiveevent")


def bench_app_installed() -> bool:
    return any(entry == BENCH_APP or entry.startswith(f"{BENCH_APP}.") for entry in settings.INSTALLED_APPS)


def drop_benchmark_tables(apps, schema_editor):
    if bench_app_installed():
        return
    for table in BENCH_TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(table)}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", [BENCH_LABEL])
    # Cascades to their permissions (and those of groups and users); admin log entries keep their text.
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.using(schema_editor.connection.alias).filter(app_label=BENCH_LABEL).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(drop_benchmark_tables, migrations.RunPython.noop)]
