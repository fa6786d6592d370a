"""The engagement benchmark (``make bench`` -> bench/run.sh -> this file; docs/benchmark.md).

bench/run.sh starts the benchmark's own PostgreSQL (durable commits) and Redis and makes
sure Cassandra runs; this script does the rest and stops every process it started:

1. fresh schema (both databases), users, videos and JWT access tokens (``bench_seed``);
2. granian (WSGI workers, keep-alive) for HTTP, uvicorn for websockets, two Celery workers, beat;
3. wrk + load.lua phases over loopback: floor, like uniform, like viral, naive viral and the
   same viral load with the latency probe beside it, playback ingest (batch) and naive ingest,
   then like uniform while one Celery worker is SIGKILLed in the middle of a batch;
4. waits until the pipeline is drained, verifies expected counts against PostgreSQL, the
   Redis live counters and the engagement store, and writes bench/results/engagement.json
   and engagement.md.

Phases whose endpoints do not exist (yet) are skipped and reported as "not run".

The parts: config.py (paths, ports, the BENCH_* knobs), stack.py (the processes and their CPU),
phases.py (wrk, the drain, the rounds, the SIGKILL run, verification), report.py (figures and
the results page), probe.py (the latency probe) and load.lua (wrk's requests).
"""

import argparse
import json
import signal
import sys
import time
from pathlib import Path

# Run as a script: the repository root instead of this directory on the path (imports are bench.engagement.*).
sys.path[0] = str(Path(__file__).resolve().parents[2])

from bench.engagement import phases, report  # noqa: E402
from bench.engagement.config import (  # noqa: E402
    CASSANDRA_NICE,
    LOGS,
    PHASES,
    RESULTS,
    RESULTS_NAME,
    RUN,
    export_environment,
    log,
)
from bench.engagement.stack import Stack, cassandra_pid  # noqa: E402


def main() -> int:
    export_environment()
    RUN.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    from workers.priority import group_nice

    cassandra = cassandra_pid()
    cassandra_nice = group_nice(cassandra, CASSANDRA_NICE) if cassandra else None
    try:
        results = phases.run(stack)
    finally:
        stack.stop_all()
        signal.signal(signal.SIGTERM, previous)
        if cassandra and cassandra_nice is not None:
            group_nice(cassandra, cassandra_nice)
    if PHASES:  # a partial run: details only, the committed results stay those of a full run
        (RUN / "details.json").write_text(json.dumps(results, indent=2, default=str))
        log(
            f"partial run ({','.join(sorted(PHASES))}) done in {time.monotonic() - started:.0f}s: {RUN / 'details.json'}"
        )
        return 0
    fig = report.figures(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{RESULTS_NAME}.json").write_text(json.dumps(fig, indent=2) + "\n")
    (RESULTS / f"{RESULTS_NAME}.md").write_text(report.markdown(fig, results))
    (RUN / "details.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done in {time.monotonic() - started:.0f}s: bench/results/{RESULTS_NAME}.json, {RESULTS_NAME}.md")
    print((RESULTS / f"{RESULTS_NAME}.md").read_text())
    return 0


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, epilog="Settings: docs/benchmark.md."
    ).parse_args()
    sys.exit(main())
