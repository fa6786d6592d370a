"""The load phases of the engagement benchmark: wrk runs, the pipeline's drain between them,
the rounds of the like block, the worker SIGKILL run, and the count verification."""

import contextlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.engagement.config import (
    BACKSTOP_S,
    BIN,
    CASSANDRA_PORT,
    DATA,
    DB_NAME,
    DRAIN_TIMEOUT_S,
    ENV,
    HERE,
    HTTP_PORT,
    KEYSPACE,
    LIKE_BLOCK,
    LOGS,
    PG_PORT,
    PHASES,
    PLAYBACK_WARMUP_S,
    PROBE_RATE,
    PROBE_USERS,
    PROBED_HOT,
    PROFILE,
    REDIS_PORT,
    ROOT,
    ROUNDS,
    RUN,
    SECONDS,
    SLICE_S,
    USERS,
    WARMUP_G0,
    WARMUP_S,
    WORKER_ENV,
    WRK_CONNECTIONS,
    WRK_THREADS,
    WS_PORT,
    log,
)
from bench.engagement.report import pooled, pooled_probe, rounds_table
from bench.engagement.stack import Stack, cpu_cores, cpu_snapshot, drop_keyspace, manage, start_stack, worker_argv


def wanted(phase: str) -> bool:
    return not PHASES or phase in PHASES


class Load:
    """wrk phases against the running stack, each with the CPU every component spent on it."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.cpu_marks: dict[str, tuple[float, dict[str, Any]]] = {}

    def start_profilers(self, name: str, seconds: float) -> None:
        if name not in (PROFILE, f"{PROFILE}#0"):  # a sliced phase: its first slice
            return
        for proc_name in ("web", "worker1", "worker2"):
            subprocess.Popen(  # noqa: S603
                [str(BIN / "py-spy"), "record", "--pid", str(self.stack.procs[proc_name].pid), "--subprocesses",
                 "--duration", os.environ.get("BENCH_PROFILE_S", str(int(seconds))), "--rate", "200", "--format", "raw", "--nonblocking",
                 *(["--idle"] if os.environ.get("BENCH_PROFILE_IDLE") else []),
                 "--output", str(RUN / f"profile-{name}-{proc_name}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

    def wrk(
        self, name: str, mode: str, seconds: float, sets: list[str], run_id: int, *, wait: bool = True, g0: int = 0
    ) -> Any:
        out = RUN / f"wrk-{name}.json"
        for stale in [out, *RUN.glob(f"{out.name}.done.*")]:
            stale.unlink(missing_ok=True)
        argv = ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{int(seconds + BACKSTOP_S)}s",
                "--timeout", "10s", "-s", str(HERE / "load.lua"), f"http://127.0.0.1:{HTTP_PORT}", "--",
                mode, str(seconds), str(DATA), str(out), str(run_id), str(WRK_THREADS), str(g0), *sets]  # fmt: skip
        log_file = open(LOGS / f"wrk-{name}.log", "w")  # noqa: SIM115 - lives as long as wrk
        self.cpu_marks[name] = (time.monotonic(), cpu_snapshot(self.stack))
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
        self.start_profilers(name, seconds)
        if not wait:
            return proc, out
        return self.finish(name, proc, out)

    def finish(self, name: str, proc: subprocess.Popen, out: Path) -> dict[str, Any]:
        # Every thread leaves a marker once all its engagement requests are answered; wrk itself
        # would sleep until -d, so interrupt it (SIGINT: it stops, then reports through done()).
        while proc.poll() is None:
            if len(list(RUN.glob(f"{out.name}.done.*"))) >= WRK_THREADS:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.05)
        started, before = self.cpu_marks.pop(name)
        after = cpu_snapshot(self.stack, {"wrk": proc.pid})
        if proc.wait(timeout=BACKSTOP_S + 30) != 0 or not out.exists():
            raise RuntimeError(f"wrk {name} failed; see {LOGS / f'wrk-{name}.log'}")
        result = json.loads(out.read_text())
        result["rps"] = result["answered"] / result["elapsed_s"]
        result["unresolved"] = result["issued"] - result["answered"]  # engagement requests wrk never saw answered
        result["cpu_cores"] = cpu_cores(before, after, time.monotonic() - started)
        log(
            f"{name}: {result['rps']:.0f} req/s, p50 {result['latency_us']['p50'] / 1000:.1f} ms, "
            f"p99 {result['latency_us']['p99'] / 1000:.1f} ms, accepted {result['accepted']}, "
            f"errors {result['errors']}, unresolved {result['unresolved']}, statuses {result['statuses']}"
        )
        return result


def engagement_status() -> dict[str, int]:
    from django.core.management import call_command

    buffer = io.StringIO()
    call_command("engagement_status", stdout=buffer)
    return json.loads(buffer.getvalue())


def celery_busy() -> int:
    """Celery messages queued or being worked on: notifications the likes caused, say. The
    Redis transport indexes delivered, unacknowledged messages by delivery time in
    ``unacked_index``; those of the last minute count (a SIGKILLed worker's stay there until
    the visibility timeout, and must not hold the benchmark up)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT)
    try:
        queued = sum(client.llen(queue) for queue in ("engagement", "notifications", "default"))
        return queued + client.zcount("unacked_index", time.time() - 60, "+inf")
    finally:
        client.close()


def wait_drained(timeout: float = DRAIN_TIMEOUT_S) -> float:
    """Seconds until the stream is empty, no counter waits for its PostgreSQL flush and the
    Celery workers have nothing left (so the next phase measures a quiet machine)."""
    start = time.monotonic()
    while True:
        status = engagement_status()
        if status["stream_pending"] == 0 and status["dirty_counters"] == 0 and celery_busy() == 0:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"pipeline not drained after {timeout:.0f}s: {status}")
        time.sleep(0.1)


def counts(video_ids: list[int], field: str) -> dict[str, int]:
    """``field`` (likes or views) summed over ``video_ids`` as PostgreSQL, the Redis live
    counters and the engagement store (Cassandra) see it."""
    from concurrent.futures import ThreadPoolExecutor

    from django_redis import get_redis_connection

    from apps.engagement.store import get_store
    from apps.videos.models import Video

    column = {"likes": "like_count", "views": "view_count"}[field]
    pg = sum(Video.objects.filter(pk__in=video_ids).values_list(column, flat=True))
    pipe = get_redis_connection("default").pipeline(transaction=False)
    for pk in video_ids:
        pipe.hget(f"eng:vc:{pk}", field)
    live = sum(int(v or 0) for v in pipe.execute())
    store = get_store()
    if field == "likes":
        one = lambda pk: store.like_count(video_id=pk)  # noqa: E731
    else:
        one = lambda pk: store.count_events(video_id=pk, kind="view")  # noqa: E731
    stored = one(video_ids[0])  # connects and prepares once, before the threads share the session
    with ThreadPoolExecutor(max_workers=16) as pool:
        stored += sum(pool.map(one, video_ids[1:]))
    return {"postgres": pg, "redis": live, "store": stored}


def install_update_counter(video_ids: list[int]) -> None:
    """Count UPDATEs of the viral videos' rows exactly: a row trigger, on these ids only, in the
    benchmark database only (pg_stat_user_tables counts the whole table and lags)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_row_updates (video_id bigint PRIMARY KEY, n bigint NOT NULL)")
        cursor.execute(
            """CREATE OR REPLACE FUNCTION bench_count_update() RETURNS trigger AS $$
            BEGIN
              INSERT INTO bench_row_updates (video_id, n) VALUES (NEW.id, 1)
              ON CONFLICT (video_id) DO UPDATE SET n = bench_row_updates.n + 1;
              RETURN NULL;
            END $$ LANGUAGE plpgsql"""
        )
        ids = ",".join(str(int(pk)) for pk in video_ids)
        cursor.execute("DROP TRIGGER IF EXISTS bench_count_update ON videos_video")
        cursor.execute(
            f"CREATE TRIGGER bench_count_update AFTER UPDATE ON videos_video FOR EACH ROW "
            f"WHEN (OLD.id IN ({ids})) EXECUTE FUNCTION bench_count_update()"
        )


def row_updates(video_ids: list[int]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n), 0) FROM bench_row_updates WHERE video_id = ANY(%s)", [video_ids])
        return int(cursor.fetchone()[0])


def pool_children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pending_by_consumer() -> dict[str, int]:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    try:
        info = client.xpending("eng:stream", "workers")
    except Exception:
        return {}
    return {c["name"].decode() if isinstance(c["name"], bytes) else c["name"]: int(c["pending"])
            for c in info.get("consumers", [])}  # fmt: skip


def endpoints() -> dict[str, bool]:
    from django.urls import Resolver404, resolve

    def exists(path: str) -> bool:
        try:
            resolve(path)
            return True
        except Resolver404:
            return False

    ws = False
    with contextlib.suppress(Exception):
        from settings.routing import websocket_urlpatterns

        ws = any(str(p.pattern) == "ws/videos/<int:video_id>/" for p in websocket_urlpatterns)
    return {
        "floor": exists("/api/v1/bench/noop"),
        "naive": exists("/api/v1/bench/naive-like/1"),
        "naive_playback": exists("/api/v1/bench/naive-playback"),
        "like": exists("/api/v1/videos/1/like"),
        "playback": exists("/api/v1/engagement/playback"),
        "counters": exists("/api/v1/videos/1/counters"),
        "ws": ws,
        "status": _has_command("engagement_status"),
    }


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()


def run(stack: Stack) -> dict[str, Any]:
    """Schema, fixtures, servers, every load phase, then the verification: the raw results."""
    import django

    LOGS.mkdir(parents=True, exist_ok=True)
    (RUN / "celerybeat-schedule").unlink(missing_ok=True)
    log(f"schema: PostgreSQL {DB_NAME} on :{PG_PORT} (durable), keyspace {KEYSPACE} on :{CASSANDRA_PORT}")
    drop_keyspace()
    manage("migrate", "--noinput")
    # `migrate --database cassandra` (django-cassandra-engine 1.11's wrapper) fails on Django 5.2: it
    # passes migrate's options on to sync_cassandra. sync_cassandra is what it would have run.
    manage("sync_cassandra", "--database", "cassandra")
    seed_out = manage("bench_seed", "--out", str(DATA), "--users", str(USERS), "--probe-users", str(PROBE_USERS))
    log(f"seeded: {seed_out.strip()}")
    seed = json.loads((DATA / "seed.json").read_text())
    sets: dict[str, list[int]] = seed["sets"]

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    if (sync_commit, fsync) != ("on", "on"):
        raise RuntimeError(f"the benchmark needs durable commits (fsync={fsync}, synchronous_commit={sync_commit})")
    have = endpoints()
    log(f"endpoints: {have}")
    pipeline = have["like"] and have["status"]
    install_update_counter(sets["viral"])

    start_stack(stack)
    load = Load(stack)
    run_id = random.randrange(1, 2**31)
    results: dict[str, Any] = {"endpoints": have, "phases": {}, "not_run": []}
    phases = results["phases"]

    if pipeline:
        # Every component warm (the JVM's JIT above all) before anything is measured: likes on
        # videos of their own, not verified, then a drained pipeline.
        load.wrk("warmup_like", "like", WARMUP_S, ["warmup"], run_id)
        if have["playback"] and wanted("ingest"):
            # The playback write path too (watch-session maps, affinity parts, counted views): a
            # cold node had cost ingest twice Cassandra's CPU per event of a warm one. Plays of
            # the like warm-up's videos, numbered far from the measured phase's requests.
            load.wrk("warmup_playback", "playback", PLAYBACK_WARMUP_S, ["warmup"], run_id, g0=WARMUP_G0)
        log(f"warmed up; drained after {wait_drained():.1f}s")
    load.wrk("warmup", "floor", 3, [], run_id)
    wait_drained()
    probe_on = have["ws"] and have["counters"] and os.environ.get("BENCH_PROBE", "1") != "0"
    runnable = {
        "floor": wanted("floor"),
        "like_uniform": pipeline and wanted("like_uniform"),
        "like_viral": pipeline and wanted("like_viral"),
        "naive_viral": have["naive"] and wanted("naive_viral"),
        "viral_probe": pipeline and probe_on and wanted("like_viral"),
    }
    block = [name for name in LIKE_BLOCK if runnable[name]]
    slices: dict[str, list[dict[str, Any]]] = {name: [] for name in block}
    probes: list[dict[str, Any]] = []
    for round_no in range(ROUNDS if block else 0):
        order = block[round_no % len(block) :] + block[: round_no % len(block)]
        log(f"round {round_no + 1}/{ROUNDS}: {', '.join(order)}")
        for name in order:
            slices[name].append(like_slice(load, name, round_no, sets, run_id, probes))
    for name in block:
        phases[name] = pooled(slices[name])
    if block:
        results["rounds"] = rounds_table(slices, block)
    if probes:
        results["probe"] = pooled_probe(probes)
        log(f"probe: {json.dumps({k: v for k, v in results['probe'].items() if k not in ('like_ms', 'samples')})}")
    if "like_viral" in block and not probe_on:
        results["not_run"].append("latency probe (no websocket route or counters endpoint)")
    if not pipeline:
        results["not_run"] += ["like uniform", "like viral", "latency probe"]
    if not have["naive"]:
        results["not_run"].append("naive viral")

    if have["playback"] and have["status"] and wanted("ingest"):
        phases["ingest"] = ingest = load.wrk("ingest", "playback", SECONDS, ["playback"], run_id)
        t_wrk_end, before = time.monotonic(), cpu_snapshot(stack)
        drained = wait_drained()
        ingest["drain_cpu_cores"] = cpu_cores(before, cpu_snapshot(stack), time.monotonic() - t_wrk_end)
        ingest["drained_after_load_s"] = drained
        ingest["end_to_end_s"] = (t_wrk_end + drained) - ingest["t_first"]
        ingest["events_per_s"] = ingest["accepted"] / ingest["end_to_end_s"]
        log(f"ingest: {ingest['accepted']} events, {ingest['views']} views, drained {drained:.1f}s after the "
            f"load, {ingest['events_per_s']:.0f} events/s end to end")  # fmt: skip
    elif not (have["playback"] and have["status"]):
        results["not_run"].append("playback ingest")
    if have["naive_playback"] and wanted("naive_ingest"):
        phases["naive_ingest"] = naive = load.wrk("naive_ingest", "naive_playback", SECONDS, ["naive_playback"], run_id)
        naive["events_per_s"] = naive["accepted"] / naive["elapsed_s"]
    elif not have["naive_playback"]:
        results["not_run"].append("naive ingest")

    if pipeline and wanted("like_kill"):
        results["kill"] = kill_run(load, run_id)
        phases["like_kill"] = results["kill"].pop("wrk")
        drained = wait_drained()
        log(f"drained {drained:.1f}s after the kill run")
    elif not pipeline:
        results["not_run"].append("worker SIGKILL run")

    time.sleep(1)
    results["verification"] = verify(results, sets)
    results["row_updates_viral"] = row_updates(sets["viral"]) if pipeline else None
    results["final_status"] = engagement_status() if have["status"] else None
    return results


def like_slice(
    load: Load, name: str, round_no: int, sets: dict[str, list[int]], run_id: int, probes: list[dict[str, Any]]
) -> dict[str, Any]:
    """One slice of a like-block phase. Each round's slices like with their own block of users
    (g0), so no (user, video) pair repeats across rounds and the viral mix keeps one hot video.
    The probed viral slices number their requests one pass over the users further (load.lua):
    the same users, but the next hot video and other cold ones, so no pair repeats either."""
    seconds = SLICE_S
    g0 = round_no * (USERS // ROUNDS)
    tag = f"{name}#{round_no}"
    window_start = time.monotonic()  # the viral video may take likes from here (the probe starts first)
    if name == "floor":
        return load.wrk(tag, "floor", seconds, [], run_id, g0=g0)
    if name == "naive_viral":
        return load.wrk(tag, "naive", seconds, ["naive_viral", "naive_cold"], run_id, g0=g0)
    if name == "like_uniform":
        result = load.wrk(tag, "like", seconds, ["uniform"], run_id, g0=g0)
    elif name == "like_viral":
        result = load.wrk(tag, "like", seconds, ["viral", "cold"], run_id, g0=g0)
    else:
        out = RUN / f"probe-{round_no}.json"
        probe = subprocess.Popen(  # noqa: S603
            [str(BIN / "python"), str(HERE / "probe.py"), "--http", f"127.0.0.1:{HTTP_PORT}",
             "--ws", f"127.0.0.1:{WS_PORT}", "--video", str(sets["viral"][PROBED_HOT]),
             "--tokens", str(DATA / "probe_tokens.txt"), "--token-offset", str(round_no * (PROBE_USERS // ROUNDS)),
             "--dsn", ENV["DATABASE_URL"], "--seconds", str(max(1.0, seconds - 1)), "--rate", str(PROBE_RATE), "--out", str(out)],
            cwd=ROOT, env=ENV, stdout=open(LOGS / f"probe-{round_no}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip
        result = load.wrk(tag, "like", seconds, ["viral", "cold"], run_id, g0=g0 + PROBED_HOT * USERS)
        if probe.wait(timeout=120) != 0:
            raise RuntimeError(f"latency probe failed; see {LOGS / f'probe-{round_no}.log'}")
        probes.append(json.loads((RUN / f"probe-{round_no}.json").read_text()))
    result["drained_after_load_s"] = drained = wait_drained()
    result["window_s"] = time.monotonic() - window_start
    log(f"drained after {drained:.1f}s")
    if result["issued"] > USERS // ROUNDS:
        log(
            f"warning: {tag} issued {result['issued']} likes, more than its {USERS // ROUNDS} users (raise BENCH_USERS)"
        )
    return result


def kill_run(load: Load, run_id: int) -> dict[str, Any]:
    """Like uniform load on its own videos; once a pool process of worker 1 holds stream
    entries it has read but not acknowledged (mid-batch), SIGKILL the whole worker, then start
    it again as a supervisor would."""
    stack = load.stack
    seconds = SECONDS * 0.8
    proc, out = load.wrk("like_kill", "like", seconds, ["kill"], run_id, wait=False)
    time.sleep(2)
    host = socket.gethostname()
    victim, pending_at_kill, deadline = "worker1", 0, time.monotonic() + seconds - 4
    while time.monotonic() < deadline and not pending_at_kill:
        pending = pending_by_consumer()
        for name in ("worker1", "worker2"):
            held = sum(pending.get(f"{host}:{child}", 0) for child in pool_children(stack.procs[name].pid))
            if held:
                victim, pending_at_kill = name, held
                break
        else:
            time.sleep(0.002)
    main_pid = stack.procs[victim].pid
    stack.kill(victim, signal.SIGKILL)
    log(f"SIGKILLed Celery {victim} (pid {main_pid}) holding {pending_at_kill} unacknowledged stream entries")
    time.sleep(2)
    stack.start(victim, worker_argv(f"{victim}b"), WORKER_ENV)
    return {"wrk": load.finish("like_kill", proc, out), "pending_entries_at_kill": pending_at_kill, "killed": victim}


def verify(results: dict[str, Any], sets: dict[str, list[int]]) -> dict[str, Any]:
    """Expected (accepted answers) against every place that counts, per group of videos."""
    from apps.videos.models import Video
    from bench.django_app.models import NaiveLike

    phases = results["phases"]
    probe_likes = (results.get("probe") or {}).get("likes_accepted", 0)
    probed_viral = phases.get("viral_probe", {}).get("accepted", 0)  # wrk's likes beside the probe
    # (name, videos, field, phase, extra expected, most one unanswered request can add)
    plan = [
        ("like uniform", sets["uniform"], "likes", "like_uniform", 0, 1),
        ("like viral", sets["viral"] + sets["cold"], "likes", "like_viral", probe_likes + probed_viral, 1),
        ("like + SIGKILL", sets["kill"], "likes", "like_kill", 0, 1),
        ("playback views", sets["playback"], "views", "ingest", 0, 20),
    ]
    groups = [
        (name, ids, field, phases[key]["views" if field == "views" else "accepted"] + extra,
         phases[key]["unresolved"] * per_request)
        for name, ids, field, key, extra, per_request in plan
        if key in phases
    ]  # fmt: skip
    report: dict[str, Any] = {"groups": {}, "unresolved_requests": 0}
    lost = {"postgres": 0, "redis": 0, "store": 0}
    double = {"postgres": 0, "redis": 0, "store": 0}
    expected_total = counted_total = 0
    for name, ids, field, expected, slack in groups:
        got = counts(ids, field)
        report["groups"][name] = {"field": field, "expected": expected, **got}
        if slack:  # unanswered requests may or may not have been taken: a range, not a number
            report["groups"][name]["expected_max"] = expected + slack
        expected_total += expected
        counted_total += got["postgres"]
        for source, value in got.items():
            lost[source] += max(0, expected - value)
            double[source] += max(0, value - expected - slack)
    for key in ("like_uniform", "like_viral", "viral_probe", "like_kill", "ingest"):
        if key in phases:
            report["unresolved_requests"] += phases[key]["unresolved"]
    report["events_expected"] = expected_total
    report["events_counted"] = counted_total
    report["events_lost"] = max(lost.values())
    report["events_double_counted"] = max(double.values())
    report["lost_by_source"] = lost
    report["double_by_source"] = double
    if "naive_viral" in phases:
        ids = sets["naive_viral"] + sets["naive_cold"]
        rows = Video.objects.filter(pk__in=ids).values_list("like_count", flat=True)
        report["naive"] = {
            "expected": phases["naive_viral"]["accepted"],
            "like_count": sum(rows),
            "like_rows": NaiveLike.objects.filter(video_id__in=ids).count(),
        }
    log(f"verification: {json.dumps(report)}")
    return report
