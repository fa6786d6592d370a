"""Latency probe of the engagement benchmark: like -> websocket message, like -> live counter
(GET /counters) and like -> PostgreSQL row, at a low rate while wrk supplies the load.

    python bench/engagement/probe.py --http 127.0.0.1:58100 --ws 127.0.0.1:58101 --video 17 \
        --tokens .run/bench/data/probe_tokens.txt --seconds 15 --rate 5 --dsn postgres://... --out probe.json

Each sample: a probe user (never used by wrk) likes the video and notes the like_count n the
API answered; the sample resolves when a websocket snapshot, a GET /counters answer or the
PostgreSQL row first shows likes >= n (likes only grow during the run).

Each lag is measured twice: from the like's answer (the liker's app shows "liked"; what the
pipeline adds: ``*_lag``, never below 0) and from the moment the like request was sent
(``*_lag_from_send``; adds the like request's own latency, queueing at a saturated server
included). Samples still unresolved at the end are counted, never dropped silently.
"""

import argparse
import asyncio
import http.client
import json
import time
from pathlib import Path
from typing import Any

import psycopg
from websockets.asyncio.client import connect


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.50),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values) if values else None,
    }


class Http:
    def __init__(self, hostport: str) -> None:
        self.hostport = hostport

    def call(self, method: str, path: str, token: str) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(self.hostport, timeout=30)  # a connection per call: 5 calls a second
        try:
            conn.request(method, path, headers={"Authorization": f"Bearer {token}", "Content-Length": "0"})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()


class Probe:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.http = Http(args.http)
        tokens = Path(args.tokens).read_text().split()
        # the last token opens the websocket; the likers start at --token-offset, so probes of
        # successive slices never like with the same user twice
        self.tokens = tokens[args.token_offset : -1] + tokens[-1:]
        self.pending_ws: list[tuple[int, float, float]] = []  # (like_count, t_sent, t_answered)
        self.pending_pg: list[tuple[int, float, float]] = []
        self.lags: dict[str, list[float]] = {
            name: [] for name in ("ws", "pg", "counter", "ws_from_send", "pg_from_send", "counter_from_send")
        }
        self.like_ms: list[float] = []
        self.accepted = 0
        self.failed = 0
        self.ws_messages = 0
        self.stop = False

    def resolve(self, name: str, pending: list, likes: int, t: float) -> list:
        still = []
        for sample in pending:
            n, sent, answered = sample
            if likes >= n:
                self.lags[name].append(max(0.0, t - answered) * 1000)
                self.lags[f"{name}_from_send"].append((t - sent) * 1000)
            else:
                still.append(sample)
        return still

    async def ws_reader(self, ready: asyncio.Event) -> None:
        url = f"ws://{self.args.ws}/ws/videos/{self.args.video}/"
        async with connect(url, subprotocols=["bearer", self.tokens[-1]], open_timeout=30) as ws:
            ready.set()
            async for raw in ws:
                t = time.monotonic()
                message = json.loads(raw)
                if message.get("type") != "counters":
                    continue
                self.ws_messages += 1
                likes = message["likes"]
                self.pending_ws = self.resolve("ws", self.pending_ws, likes, t)
                if self.stop and not self.pending_ws:
                    return

    async def pg_poller(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.args.dsn, autocommit=True) as conn:
            while not (self.stop and not self.pending_pg):
                cur = await conn.execute("SELECT like_count FROM videos_video WHERE id = %s", (self.args.video,))
                (likes,) = await cur.fetchone()
                t = time.monotonic()
                self.pending_pg = self.resolve("pg", self.pending_pg, likes, t)
                # every 100 ms: the row trails by about a flush interval (2 s), and polling at
                # 50 Hz cost the viral slices a tenth of a core the uniform ones did not pay
                await asyncio.sleep(0.1)

    async def sample(self, index: int) -> None:
        token = self.tokens[index]
        sent = time.monotonic()
        status, body = await asyncio.to_thread(self.http.call, "POST", f"/api/v1/videos/{self.args.video}/like", token)
        answered = time.monotonic()
        if status != 200 or body.get("status") != "accepted":
            self.failed += 1
            return
        self.accepted += 1
        self.like_ms.append((answered - sent) * 1000)
        n = body["like_count"]
        self.pending_ws.append((n, sent, answered))
        self.pending_pg.append((n, sent, answered))
        for _ in range(200):
            _, counters = await asyncio.to_thread(
                self.http.call, "GET", f"/api/v1/videos/{self.args.video}/counters", token
            )
            if counters.get("likes", -1) >= n:
                self.resolve("counter", [(n, sent, answered)], n, time.monotonic())
                return
            await asyncio.sleep(0.01)

    async def run(self) -> dict[str, Any]:
        ready = asyncio.Event()
        reader = asyncio.create_task(self.ws_reader(ready))
        await asyncio.wait_for(ready.wait(), 30)
        poller = asyncio.create_task(self.pg_poller())
        samples = []
        start = time.monotonic()
        index = 0
        while time.monotonic() - start < self.args.seconds and index < len(self.tokens) - 1:
            samples.append(asyncio.create_task(self.sample(index)))
            index += 1
            await asyncio.sleep(1 / self.args.rate)
        await asyncio.gather(*samples)
        self.stop = True
        for task in (reader, poller):
            try:
                await asyncio.wait_for(task, self.args.settle)
            except TimeoutError:
                task.cancel()
        return {
            "likes_sent": index,
            "likes_accepted": self.accepted,
            "likes_failed": self.failed,
            "like_ms": summary(self.like_ms),
            "ws_lag": {**summary(self.lags["ws"]), "unresolved": len(self.pending_ws), "messages": self.ws_messages},
            "ws_lag_from_send": summary(self.lags["ws_from_send"]),
            "counter_lag": summary(self.lags["counter"]),
            "counter_lag_from_send": summary(self.lags["counter_from_send"]),
            "pg_lag": {**summary(self.lags["pg"]), "unresolved": len(self.pending_pg)},
            "pg_lag_from_send": summary(self.lags["pg_from_send"]),
            # every sample, so the driver can pool several probes (one per slice of the viral phase)
            "samples": {"like_ms": self.like_ms, **self.lags},
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", required=True)
    parser.add_argument("--ws", required=True)
    parser.add_argument("--video", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--token-offset", type=int, default=0)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--settle", type=float, default=15, help="seconds to wait for late messages")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    result = asyncio.run(Probe(args).run())
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
