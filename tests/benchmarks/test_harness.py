"""The benchmark harness (bench/run.sh -> bench/engagement/run.py and its parts) still resolves
everything it drives: scripts parse, modules import, the benchmark settings mount the endpoints
and commands it calls, and the report turns a run's results into figures and a verdict page."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.engagement import config, phases, report

ROOT = Path(__file__).resolve().parents[2]


def test_the_entry_points_parse_and_run_py_answers_help():
    assert subprocess.run(["bash", "-n", str(ROOT / "bench" / "run.sh")], check=False).returncode == 0
    assert "bench/engagement/run.py" in (ROOT / "bench" / "run.sh").read_text()
    for script in ("load.lua", "probe.py"):
        assert (config.HERE / script).is_file()

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engagement" / "run.py"), "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: run.py")
    assert "docs/benchmark.md" in done.stdout


def test_importing_the_parts_leaves_this_process_alone():
    # Only main() points the process at the benchmark's services (export_environment).
    assert os.environ.get("DJANGO_SETTINGS_MODULE") != "settings.bench"
    assert config.ENV["DJANGO_SETTINGS_MODULE"] == "settings.bench"
    assert config.RESULTS == ROOT / "bench" / "results"


def test_the_benchmark_settings_mount_what_the_harness_drives():
    # Given the benchmark settings (the ORM store: no Cassandra needed to load the apps)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.bench", "ENGAGEMENT_STORE": "orm"}
    code = (
        "import django, json; django.setup();"
        "from django.core.management import get_commands;"
        "from bench.engagement.phases import endpoints;"
        "print(json.dumps({'endpoints': endpoints(), 'commands': sorted(get_commands())}))"
    )

    # When the harness asks which endpoints and commands exist
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)

    # Then every phase can run
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["endpoints"] == {
        "floor": True, "naive": True, "naive_playback": True, "like": True, "playback": True,
        "counters": True, "ws": True, "status": True,
    }  # fmt: skip
    assert {"bench_seed", "engagement_status", "engagement_pusher", "migrate"} <= set(found["commands"])


@pytest.mark.urls("settings.urls")
def test_the_product_urls_have_no_benchmark_endpoints():
    found = phases.endpoints()

    assert (found["floor"], found["naive"], found["naive_playback"]) == (False, False, False)
    assert found["like"] and found["playback"]


def wrk_part(rps: float, p99_ms: float, *, accepted: int = 100) -> dict:
    """One wrk slice's result as phases.Load.finish returns it."""
    return {
        "accepted": accepted, "duplicates": 0, "errors": 0, "issued": accepted, "answered": int(rps * 3),
        "unresolved": 0, "elapsed_s": 3.0, "statuses": {"200": accepted}, "t_first": 0.0, "t_last": 3.0,
        "rps": rps, "latency_us": {"p50": p99_ms * 400, "p90": p99_ms * 800, "p99": p99_ms * 1000, "mean": p99_ms * 500,
                                   "max": p99_ms * 2000},
        "cpu_cores": {"web": 1.5, "celery": 0.2, "machine": 2.0, "kernel": {"softirq": 0.0, "steal": 0.1},
                      "top_other_processes": {}},
    }  # fmt: skip


def test_the_report_pools_the_rounds_and_writes_the_verdicts():
    # Given every round of the like block (floor 1000 req/s, uniform 700, viral 650, naive 100)
    rates = {"floor": (1000, 5), "like_uniform": (700, 8), "like_viral": (650, 9), "naive_viral": (100, 60)}
    slices = {name: [wrk_part(*rates[name]) for _ in range(config.ROUNDS)] for name in rates}
    block = list(rates)
    results = {
        "phases": {name: report.pooled(parts) for name, parts in slices.items()},
        "rounds": report.rounds_table(slices, block),
        "row_updates_viral": None,
        "not_run": ["latency probe"],
        "verification": {
            "groups": {"like uniform": {"field": "likes", "expected": 900, "postgres": 900, "redis": 900, "store": 900}},
            "events_expected": 900, "events_counted": 900, "events_lost": 0, "events_double_counted": 0,
            "unresolved_requests": 0,
        },
    }  # fmt: skip

    # When the figures and the page are made
    fig = report.figures(results)
    page = report.markdown(fig, results)

    # Then the ratios are the rounds' medians and the verdicts follow the targets
    assert fig["uniform_over_floor_median"] == 0.7
    assert fig["viral_over_naive_median"] == 6.5
    assert results["phases"]["floor"]["rps"] == pytest.approx(1000)
    assert "| Like ≥ 60 % of the framework floor (uniform) | 700 vs 1,000 req/s" in page
    assert "| Viral ≥ 90 % of uniform |" in page and "| 0.93x | ≥ 0.90x | pass |" in page
    assert "Not run (endpoint missing): latency probe." in page
    json.dumps(fig)  # what bench/results/engagement.json holds
