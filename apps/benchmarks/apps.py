from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Baselines the benchmark compares the engagement pipeline against (docs/benchmark.md).

    The tables always exist (one migration, never used outside the benchmark); the endpoints
    are mounted only when settings.BENCHMARK_ENDPOINTS is true (settings/bench.py)."""

    name = "apps.benchmarks"
    label = "benchmarks"
