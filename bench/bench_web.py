"""Bounded loopback load on the web API: a fixed request rate of POST /v1/calculate, p50/p99 latency.

The server is the real thing (``tariffstack serve`` in its own process, on a free loopback port); the
load is open-loop: request *i* is due at ``start + i / rate`` whatever happened before, and its latency
is measured from that due time (so a stalled server cannot hide its queue: no coordinated omission).
Each scenario runs for ``--seconds`` at ``--rate`` requests per second, one line or 100 lines per
request (lines taken round-robin from ``examples/entry_lines.json``, values varied).

    python bench/bench_web.py                  # 30 s at 100 req/s, 1-line then 100-line requests
    python bench/bench_web.py --seconds 5      # a quick look
    python bench/bench_web.py --rate 10 --lines 1 --out bench/results/web_10rps.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
JSON = {"content-type": "application/json"}
CONNECTIONS = 64  # open requests at most (beyond, the generator itself would be the bottleneck)
EXAMPLES = json.loads((ROOT / "examples" / "entry_lines.json").read_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bodies(lines_per_request: int, count: int) -> list[bytes]:
    """``count`` distinct request bodies of ``lines_per_request`` lines each."""
    bodies = []
    for i in range(count):
        rows = []
        for j in range(lines_per_request):
            row = dict(EXAMPLES[(i + j) % len(EXAMPLES)])
            row["value"] = str(1000 + (i * lines_per_request + j) % 997 * 100)
            row.pop("steel_value", None)
            rows.append(row)
        bodies.append(json.dumps(rows).encode())
    return bodies


def _client_cpus(server_cpus: str | None, all_cpus: bool) -> set[int]:
    """The CPUs the load generator runs on once the server is up: those the server's small
    requests do not (``tariffstack serve`` keeps them on the first CPU), so the generator, which
    decodes every answer (a 100-line answer is ~680 KB of JSON), never takes the server's CPU.
    Empty (no change) where the server may use every CPU or there is one CPU."""
    if all_cpus or not hasattr(os, "sched_getaffinity"):
        return set()
    cpus = os.sched_getaffinity(0)
    taken = {int(c) for c in server_cpus.split(",")} if server_cpus and server_cpus.isdigit() else {min(cpus)}
    return cpus - taken


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _scenario(base: str, lines: int, rate: float, seconds: float, timeout: float) -> dict:
    """One open-loop run, bounded: each phase of a request (waiting for a pooled connection, sending,
    reading the answer) may take at most ``timeout`` s, after which it counts as an error (its latency
    is still counted), so a server that cannot keep up shows as such and the run stays bounded."""
    total = int(rate * seconds)
    bodies = _bodies(lines, 64)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    slots = asyncio.Semaphore(CONNECTIONS)  # the pool never queues: waiting for a slot is timed here
    # Every phase of a request (waiting for a connection, connecting, sending, reading) is bounded.
    client = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(timeout), limits=limits)
    for body in bodies[:8]:  # warm the connections and the server's caches
        await client.post("/v1/calculate", content=body, headers=JSON, timeout=120)
    start = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            await asyncio.wait_for(slots.acquire(), timeout=max(0.0, due + timeout - time.perf_counter()))
        except TimeoutError:  # 64 requests already open for `timeout` s: this one is never sent
            errors["not_sent"] = errors.get("not_sent", 0) + 1
            latencies.append((time.perf_counter() - due) * 1000)
            return
        try:
            response = await client.post("/v1/calculate", content=bodies[i % len(bodies)], headers=JSON)
            if response.status_code != 200 or len(orjson.loads(response.content)) != lines:
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        finally:
            slots.release()
        latencies.append((time.perf_counter() - due) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - start
    await client.aclose()
    ordered = sorted(latencies)
    return {
        "lines_per_request": lines,
        "target_rate": rate,
        "timeout_s": timeout,
        "requests": total,
        "achieved_rate": round(total / elapsed, 1),
        "answered_ok_per_s": round((total - sum(errors.values())) / elapsed, 1),
        "errors": errors,
        "p50_ms": round(_percentile(ordered, 0.50), 1),
        "p90_ms": round(_percentile(ordered, 0.90), 1),
        "p99_ms": round(_percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1) if ordered else None,
        "mean_ms": round(statistics.fmean(ordered), 1) if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--lines", type=int, nargs="+", default=[1, 100])
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="Seconds after its due time a request may take"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "web.json")
    parser.add_argument(
        "--server-cpus",
        default=None,
        help="Run the server under `taskset -c CPUS` (e.g. 0): measures the cross-core hand-off cost",
    )
    parser.add_argument(
        "--all-cpus",
        action="store_true",
        help="Serve with `--all-cpus` (threads free on every CPU) instead of the server's one-CPU default",
    )
    args = parser.parse_args()
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    exe = Path(sys.executable).with_name("tariffstack")
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
    server = subprocess.Popen(
        [
            *pin,
            str(exe),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *(["--all-cpus"] if args.all_cpus else []),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        client_cpus = _client_cpus(args.server_cpus, args.all_cpus)
        if client_cpus:
            os.sched_setaffinity(0, client_cpus)
        results = [asyncio.run(_scenario(base, n, args.rate, args.seconds, args.timeout)) for n in args.lines]
    finally:
        server.terminate()
        server.wait(timeout=20)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "seconds_per_scenario": args.seconds,
        "server_cpus": args.server_cpus
        or ("all" if args.all_cpus else "one but for large jobs (the default)"),
        "client_cpus": sorted(client_cpus) or "all",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"{'lines/req':>9} {'rate':>6} {'requests':>8} {'ok/s':>8} {'p50 ms':>7} {'p90 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7}  errors"
    )
    for r in results:
        ok = r["answered_ok_per_s"]
        head = f"{r['lines_per_request']:>9} {r['target_rate']:>6.0f} {r['requests']:>8} {ok:>8}"
        print(
            f"{head} {r['p50_ms']:>7} {r['p90_ms']:>7} {r['p99_ms']:>7} {r['max_ms']:>7}  {r['errors'] or 0}"
        )


if __name__ == "__main__":
    main()
