from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Baselines the benchmark compares the engagement pipeline against (docs/benchmark.md).

    Installed only by settings.bench and settings.test, never by the product: production drops
    its tables (apps/core/migrations/0001_drop_benchmark_tables.py). The label stays
    "benchmarks" so the tables and migration history keep their names."""

    name = "bench.django_app"
    label = "benchmarks"
