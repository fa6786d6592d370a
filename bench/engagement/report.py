"""The engagement benchmark's results: sliced phases pooled, the rounds' ratios, the figures of
bench/results/engagement.json and the page bench/results/engagement.md."""

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.engagement.config import (
    APPENDFSYNC,
    CASSANDRA_NICE,
    CELERY_CONCURRENCY,
    DATA,
    FLUSH_INTERVAL_S,
    LIKE_BLOCK,
    LOADAVG_AT_START,
    PROBE_RATE,
    ROUNDS,
    SECONDS,
    SLICE_S,
    WEB_THREADS,
    WEB_WORKERS,
    WORKER_ENV,
    WRK_CONNECTIONS,
    WRK_THREADS,
)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _weighted(values: list[tuple[float, Any]]) -> Any:
    """Elapsed-weighted mean of CPU dicts (nested dicts too)."""
    total = sum(w for w, _ in values) or 1.0
    first = values[0][1]
    if isinstance(first, dict):
        keys = {k for _, v in values for k in v}
        return {k: _weighted([(w, v.get(k, 0.0)) for w, v in values]) for k in keys}
    return round(sum(w * v for w, v in values) / total, 2)


def pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A sliced phase as one: counts and time summed (req/s pooled), latency percentiles the
    median of the slices', CPU weighted by time; each slice kept under "slices"."""
    if len(parts) == 1:
        return {**parts[0], "slices": parts}
    out: dict[str, Any] = {}
    for key in ("accepted", "duplicates", "errors", "views", "rejected", "issued", "answered", "noops",
                "wrk_requests", "socket_errors", "timeouts", "unresolved", "elapsed_s", "drained_after_load_s"):  # fmt: skip
        if any(key in part for part in parts):
            out[key] = sum(part.get(key, 0) for part in parts)
    out["statuses"] = {}
    for part in parts:
        for code, n in part["statuses"].items():
            out["statuses"][code] = out["statuses"].get(code, 0) + n
    out["t_first"], out["t_last"] = parts[0]["t_first"], parts[-1]["t_last"]
    out["rps"] = out["answered"] / out["elapsed_s"] if out["elapsed_s"] else 0.0
    out["latency_us"] = {q: _median([part["latency_us"][q] for part in parts]) for q in ("p50", "p90", "p99", "mean")}
    out["latency_us"]["max"] = max(part["latency_us"]["max"] for part in parts)
    out["cpu_cores"] = _weighted(
        [
            (part["elapsed_s"], {k: v for k, v in part["cpu_cores"].items() if k != "top_other_processes"})
            for part in parts
        ]
    )
    out["slices"] = [
        {"rps": part["rps"], "p99_ms": part["latency_us"]["p99"] / 1000, "elapsed_s": part["elapsed_s"],
         "web_cores": part["cpu_cores"].get("web"), "steal_cores": part["cpu_cores"].get("kernel", {}).get("steal"),
         "drained_after_load_s": part.get("drained_after_load_s", 0.0), "window_s": part.get("window_s")}
        for part in parts
    ]  # fmt: skip
    return out


def rounds_table(slices: dict[str, list[dict[str, Any]]], block: list[str]) -> list[dict[str, Any]]:
    """Per round: each phase's req/s and p99, the ratios the targets compare, the most CPU the
    host took (steal) during any of its slices."""
    table = []
    for round_no in range(ROUNDS):
        row: dict[str, Any] = {
            "round": round_no + 1,
            "order": block[round_no % len(block) :] + block[: round_no % len(block)],
        }
        for name in block:
            part = slices[name][round_no]
            row[f"{name}_rps"] = part["rps"]
            row[f"{name}_p99_ms"] = part["latency_us"]["p99"] / 1000
        row["steal_max_cores"] = max(
            slices[name][round_no]["cpu_cores"].get("kernel", {}).get("steal", 0) for name in block
        )
        row["uniform_over_floor"] = ratio(row.get("like_uniform_rps"), row.get("floor_rps"))
        row["viral_over_uniform"] = ratio(row.get("like_viral_rps"), row.get("like_uniform_rps"))
        row["viral_over_naive"] = ratio(row.get("like_viral_rps"), row.get("naive_viral_rps"))
        row["p99_viral_over_naive"] = ratio(row.get("like_viral_p99_ms"), row.get("naive_viral_p99_ms"))
        table.append(row)
    return table


def pooled_probe(probes: list[dict[str, Any]]) -> dict[str, Any]:
    """The probes of every viral slice as one: samples pooled, percentiles recomputed."""
    from bench.engagement.probe import summary

    samples: dict[str, list[float]] = {}
    for probe in probes:
        for key, values in probe["samples"].items():
            samples.setdefault(key, []).extend(values)
    out: dict[str, Any] = {key: sum(p[key] for p in probes) for key in ("likes_sent", "likes_accepted", "likes_failed")}
    out["like_ms"] = summary(samples.get("like_ms", []))
    for key in ("ws", "counter", "pg"):
        out[f"{key}_lag"] = summary(samples.get(key, []))
        out[f"{key}_lag_from_send"] = summary(samples.get(f"{key}_from_send", []))
    out["ws_lag"]["unresolved"] = sum(p["ws_lag"]["unresolved"] for p in probes)
    out["ws_lag"]["messages"] = sum(p["ws_lag"]["messages"] for p in probes)
    out["pg_lag"]["unresolved"] = sum(p["pg_lag"]["unresolved"] for p in probes)
    out["samples"] = samples
    return out


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "loadavg_1m_at_start": LOADAVG_AT_START,
        "platform": platform.platform(),
    }


def figures(results: dict[str, Any]) -> dict[str, Any]:
    phases = results["phases"]
    out: dict[str, Any] = {}

    def put(key: str, value: Any, digits: int = 1) -> None:
        if value is not None:
            out[key] = round(value, digits)

    def ms(phase: str, q: str) -> float | None:
        return phases[phase]["latency_us"][q] / 1000 if phase in phases else None

    put("floor_rps", phases.get("floor", {}).get("rps"))
    put("like_rps_uniform", phases.get("like_uniform", {}).get("rps"))
    put("like_p50_ms_uniform", ms("like_uniform", "p50"), 2)
    put("like_p99_ms_uniform", ms("like_uniform", "p99"), 2)
    put("like_rps_viral", phases.get("like_viral", {}).get("rps"))
    put("like_p50_ms_viral", ms("like_viral", "p50"), 2)
    put("like_p99_ms_viral", ms("like_viral", "p99"), 2)
    put("like_rps_viral_probed", phases.get("viral_probe", {}).get("rps"))  # beside the probe; in no ratio
    put("naive_rps_viral", phases.get("naive_viral", {}).get("rps"))
    put("naive_p50_ms_viral", ms("naive_viral", "p50"), 2)
    put("naive_p99_ms_viral", ms("naive_viral", "p99"), 2)
    put("ingest_events_per_s", phases.get("ingest", {}).get("events_per_s"))
    put("naive_ingest_events_per_s", phases.get("naive_ingest", {}).get("events_per_s"))
    probe = results.get("probe")
    if probe:
        put("ws_lag_p50_ms", probe["ws_lag"]["p50_ms"])
        put("ws_lag_p99_ms", probe["ws_lag"]["p99_ms"])
        put("ws_lag_unresolved", probe["ws_lag"]["unresolved"], 0)
        put("ws_lag_from_send_p50_ms", probe["ws_lag_from_send"]["p50_ms"])
        put("ws_lag_from_send_p99_ms", probe["ws_lag_from_send"]["p99_ms"])
        put("counter_lag_p50_ms", probe["counter_lag"]["p50_ms"])
        put("counter_lag_p99_ms", probe["counter_lag"]["p99_ms"])
        put("pg_counter_lag_p50_ms", probe["pg_lag"]["p50_ms"])
        put("pg_counter_lag_p99_ms", probe["pg_lag"]["p99_ms"])
        put("probe_like_p99_ms", probe["like_ms"]["p99_ms"])
    if results.get("row_updates_viral") is not None and "like_viral" in phases:
        from apps.videos.models import Video

        seed = json.loads((DATA / "seed.json").read_text())
        on_viral = sum(Video.objects.filter(pk__in=seed["sets"]["viral"]).values_list("like_count", flat=True))
        out["viral_video_likes"] = on_viral
        out["pg_updates_viral"] = results["row_updates_viral"]
        put("pg_updates_per_10k_viral_likes", results["row_updates_viral"] * 10000 / max(on_viral, 1), 2)
        # Flushes that can have run while a hot video took likes or waited for its flush: a
        # window of t seconds (from the slice's start, the probe's first like included, to its
        # drain) meets at most floor(t / interval) + 1 ticks of the periodic flush. The viral
        # slices' hot video and the probed slices' one each count their own windows.
        windows = phases["like_viral"]["slices"] + phases.get("viral_probe", {}).get("slices", [])
        ticks = sum(int(w["window_s"] // FLUSH_INTERVAL_S) + 1 for w in windows)
        out["flush_ticks_viral"] = ticks
        put("pg_updates_viral_per_flush_interval", results["row_updates_viral"] / max(ticks, 1), 2)
    for key in ("uniform_over_floor", "viral_over_uniform", "viral_over_naive", "p99_viral_over_naive"):
        values = [row[key] for row in results.get("rounds", []) if row.get(key) is not None]
        if values:  # the verdicts use the median of the rounds' ratios
            put(f"{key}_median", _median(values), 3)
            out[f"{key}_rounds"] = [round(value, 3) for value in values]
    verification = results["verification"]
    for key in ("events_expected", "events_counted", "events_lost", "events_double_counted"):
        out[key] = verification[key]
    out["unresolved_requests"] = verification["unresolved_requests"]
    if "kill" in results:
        out["kill_pending_entries_at_kill"] = results["kill"]["pending_entries_at_kill"]
    if "naive" in verification:
        naive = verification["naive"]
        out["naive_events_lost"] = max(0, naive["expected"] - naive["like_count"])
        out["naive_events_double_counted"] = max(0, naive["like_count"] - naive["expected"])
    out["machine"] = {k: v for k, v in machine().items() if k != "platform"}
    out["config"] = {
        "web_server": "granian (WSGI)",
        "web_workers": WEB_WORKERS,
        "web_threads": WEB_THREADS,
        "cassandra_nice": CASSANDRA_NICE,
        "worker_nice": int(WORKER_ENV["WORKER_NICE"]),
        "celery_workers": 2,
        "celery_concurrency": CELERY_CONCURRENCY,
        "wrk_threads": WRK_THREADS,
        "wrk_connections": WRK_CONNECTIONS,
        "phase_seconds": SECONDS,
        "rounds": ROUNDS,
        "slice_seconds": SLICE_S,
    }
    out["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b not in (None, 0) else None


def markdown(fig: dict[str, Any], results: dict[str, Any]) -> str:
    def f(value: Any, unit: str = "") -> str:
        if value is None:
            return "not run"
        return f"{value:,.0f}{unit}" if isinstance(value, int) or value >= 100 else f"{value:,.2f}{unit}"

    def verdict(ok: bool | None) -> str:
        return "not run" if ok is None else ("pass" if ok else "**FAIL**")

    like_floor = fig.get("uniform_over_floor_median")
    viral_uniform = fig.get("viral_over_uniform_median")
    viral_naive = fig.get("viral_over_naive_median")
    p99_ratio = fig.get("p99_viral_over_naive_median")
    ingest = ratio(fig.get("ingest_events_per_s"), fig.get("naive_ingest_events_per_s"))
    p99_lower = None if p99_ratio is None else p99_ratio < 1

    def per_round(key: str) -> str:
        values = fig.get(f"{key}_rounds")
        return f"; rounds {', '.join(f'{v:.2f}' for v in values)}" if values and len(values) > 1 else ""

    ran_pipeline = "like_rps_viral" in fig
    zero = (fig["events_lost"] == 0 and fig["events_double_counted"] == 0) if ran_pipeline else None

    def r(value: float | None, unit: str = "x") -> str:
        return "not run" if value is None else f"{value:.2f}{unit}"

    def ge(value: float | None, bound: float) -> bool | None:
        return None if value is None else value >= bound

    def le(value: float | None, bound: float) -> bool | None:
        return None if value is None else value <= bound

    rows = [
        ("Like ≥ 60 % of the framework floor (uniform)",
         f"{f(fig.get('like_rps_uniform'))} vs {f(fig.get('floor_rps'))} req/s{per_round('uniform_over_floor')}",
         r(like_floor), "≥ 0.60x", verdict(ge(like_floor, 0.6))),
        ("Viral ≥ 90 % of uniform",
         f"{f(fig.get('like_rps_viral'))} vs {f(fig.get('like_rps_uniform'))} req/s{per_round('viral_over_uniform')}",
         r(viral_uniform), "≥ 0.90x", verdict(ge(viral_uniform, 0.9))),
        ("≥ 3x the naive baseline, viral",
         f"{f(fig.get('like_rps_viral'))} vs {f(fig.get('naive_rps_viral'))} req/s{per_round('viral_over_naive')}",
         r(viral_naive), "≥ 3x", verdict(ge(viral_naive, 3))),
        ("… at lower p99",
         f"{f(fig.get('like_p99_ms_viral'), ' ms')} vs {f(fig.get('naive_p99_ms_viral'), ' ms')}"
         f"{per_round('p99_viral_over_naive')}",
         r(p99_ratio), "< 1x", verdict(p99_lower)),
        ("Batch ingest ≥ 25x naive per-event (events/s, end to end)",
         f"{f(fig.get('ingest_events_per_s'))} vs {f(fig.get('naive_ingest_events_per_s'))} events/s", r(ingest),
         "≥ 25x", verdict(ge(ingest, 25))),
        ("PostgreSQL UPDATEs of the viral video per 10,000 likes",
         f"{fig.get('pg_updates_viral', 'not run')} updates / {fig.get('viral_video_likes', 'not run')} likes "
         f"({f(fig.get('pg_updates_viral_per_flush_interval'))} per flush of the {fig.get('flush_ticks_viral', '?')} "
         f"that can have run while it took likes, every {FLUSH_INTERVAL_S:.0f} s)",
         f(fig.get("pg_updates_per_10k_viral_likes")), "≤ 20", verdict(le(fig.get("pg_updates_per_10k_viral_likes"), 20))),
        ("Like → websocket lag, p99", f"p50 {f(fig.get('ws_lag_p50_ms'), ' ms')}", f(fig.get("ws_lag_p99_ms"), " ms"),
         "≤ 1,000 ms", verdict(le(fig.get("ws_lag_p99_ms"), 1000))),
        ("Lost / double-counted events (incl. the SIGKILL run)",
         f"{fig['events_counted']:,} counted of {fig['events_expected']:,} expected",
         f"{fig['events_lost']} lost / {fig['events_double_counted']} double", "0 / 0", verdict(zero)),
    ]  # fmt: skip
    lines = [
        "# Engagement benchmark",
        "",
        f"Run {fig['date']} on {fig['machine']['cores']} cores, {fig['machine']['memory_gb']} GB "
        f"(`make bench`; how to read it: docs/benchmark.md). Everything on one machine over loopback: "
        f"granian x{WEB_WORKERS} WSGI workers x{WEB_THREADS} threads (keep-alive), uvicorn, 2 Celery workers x{CELERY_CONCURRENCY} + beat, "
        f"PostgreSQL 15 with durable commits, Redis (AOF, appendfsync {APPENDFSYNC}), Cassandra, and wrk ({WRK_THREADS} threads, "
        f"{WRK_CONNECTIONS} connections; {SECONDS:.0f} s per ingest phase). Load average when it started: "
        f"{fig['machine']['loadavg_1m_at_start']:.2f} (anything else running skews every figure).",
        "",
        f"The like phases ran as {ROUNDS} rounds of {SLICE_S:.0f} s slices in a rotated order; each "
        "like ratio below is the median of the rounds' ratios (the rounds are listed further down), "
        "req/s are pooled over the slices and p99 is the median of the slices' p99.",
        "",
        "| Target | Measured | Ratio / value | Target | Verdict |",
        "|---|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows],
        "",
        "## All figures",
        "",
        "| Phase | req/s | p50 ms | p99 ms | accepted | errors | unresolved | web CPU ms/req | Celery CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, phase in results["phases"].items():
        cpu = phase.get("cpu_cores", {})
        per_request = {k: cpu.get(k, 0) * 1000 / phase["rps"] if phase["rps"] else 0 for k in ("web", "celery")}
        lines.append(
            f"| {name} | {phase['rps']:,.0f} | {phase['latency_us']['p50'] / 1000:.2f} | "
            f"{phase['latency_us']['p99'] / 1000:.2f} | {phase['accepted']:,} | {phase['errors']} | {phase['unresolved']} | "
            f"{per_request['web']:.1f} | {per_request['celery']:.1f} |"
        )
    lines += [
        "",
        "CPU ms/req divides the cores a component kept busy by the request rate: unlike req/s it does not",
        "depend on what else the machine ran. Playback requests carry 100 events each; Celery's share of the",
        "like phases includes draining what earlier requests queued.",
    ]
    rounds = results.get("rounds") or []
    if rounds:
        lines += ["", "Rounds of the like phases (req/s; ratios; the most CPU the host took, steal, in any slice):", "",
                  "| Round | order | floor | uniform | viral | naive viral | viral + probe | uniform / floor "
                  "| viral / uniform | viral / naive | p99 viral / naive | steal (cores) |", "|---" * 12 + "|"]  # fmt: skip
        for row in rounds:
            cells = [f(row.get(f"{name}_rps")) for name in LIKE_BLOCK]
            cells += [r(row.get(key)) for key in ("uniform_over_floor", "viral_over_uniform", "viral_over_naive",
                                                 "p99_viral_over_naive")]  # fmt: skip
            lines.append(f"| {row['round']} | {' → '.join(row['order'])} | " + " | ".join(cells)
                         + f" | {row['steal_max_cores']:.2f} |")  # fmt: skip
    columns = ["web", "uvicorn", "celery", "beat", "pusher", "postgres", "redis", "cassandra (shared)", "wrk",
               "other (not this benchmark)"]  # fmt: skip
    lines += ["", f"CPU during each phase, in cores busy (of {os.cpu_count()}), from /proc:", "",
              "| Phase | " + " | ".join(columns) + " | top other processes |", "|---" * (len(columns) + 2) + "|"]  # fmt: skip
    for name, phase in results["phases"].items():
        cpu = phase.get("cpu_cores", {})
        top = ", ".join(f"{k} {v:.2f}" for k, v in cpu.get("top_other_processes", {}).items()) or "-"
        lines.append(f"| {name} | " + " | ".join(f"{cpu.get(c, 0):.2f}" for c in columns) + f" | {top} |")
        if "drain_cpu_cores" in phase:  # after the load, until the pipeline has caught up
            cpu = phase["drain_cpu_cores"]
            top = ", ".join(f"{k} {v:.2f}" for k, v in cpu.get("top_other_processes", {}).items()) or "-"
            lines.append(f"| {name}: drain after the load | " + " | ".join(f"{cpu.get(c, 0):.2f}" for c in columns)
                         + f" | {top} |")  # fmt: skip
    lines += ["", f"Latency probe ({PROBE_RATE} likes/s on the hot video of the probed viral slices, "
              "beside the same viral load; the ratios above compare slices without it):", ""]  # fmt: skip
    probe = results.get("probe")
    if probe:
        lines += ["| Lag (p50 / p99) | from the like's answer | from sending the like | samples |", "|---|---|---|---|"]
        for key, label in (("ws_lag", "like → websocket message"), ("counter_lag", "like → GET /counters shows it"),
                           ("pg_lag", "like → PostgreSQL row shows it")):  # fmt: skip
            a, b = probe[key], probe[f"{key}_from_send"]
            lines.append(f"| {label} | {f(a['p50_ms'], ' ms')} / {f(a['p99_ms'], ' ms')} | "
                         f"{f(b['p50_ms'], ' ms')} / {f(b['p99_ms'], ' ms')} | {a['n']}"
                         f"{' (' + str(a['unresolved']) + ' unresolved)' if a.get('unresolved') else ''} |")  # fmt: skip
        lines.append(f"| the probe's like request itself | | {f(probe['like_ms']['p50_ms'], ' ms')} / "
                     f"{f(probe['like_ms']['p99_ms'], ' ms')} | {probe['like_ms']['n']} |")  # fmt: skip
    else:
        lines.append("- not run")
    lines += ["", "Verification after the queues drained (expected = accepted answers counted by wrk):", ""]
    for name, g in results["verification"]["groups"].items():
        lines.append(f"- {name} ({g['field']}): expected {g['expected']:,}; PostgreSQL {g['postgres']:,}, "
                     f"Redis {g['redis']:,}, engagement store {g['store']:,}")  # fmt: skip
    if "naive" in results["verification"]:
        n = results["verification"]["naive"]
        lines.append(
            f"- naive baseline: expected {n['expected']:,}; like_count {n['like_count']:,}, rows {n['like_rows']:,}"
        )
    if "kill" in results:
        lines.append(
            f"- SIGKILL run: Celery {results['kill']['killed']} was killed holding "
            f"{results['kill']['pending_entries_at_kill']} read-but-unacknowledged stream entries (0 = no batch "
            "was in flight when the wait ran out); counts above include that run."
        )
    if results["not_run"]:
        lines += ["", "Not run (endpoint missing): " + ", ".join(results["not_run"]) + "."]
    return "\n".join(lines) + "\n"
