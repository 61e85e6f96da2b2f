"""`grade serve` under load: N uploads from C concurrent clients against a real server on a loopback port.

Each client is one student (a roster of C) sending its share of the uploads as fast as the server answers;
every upload must be either accepted (202) and later graded, or refused at once (429: that student already
has `per_student` waiting; 503: the queue is full) with a reason. Reports accepted / refused / graded /
lost, the latency of the upload requests (p50/p90/p99/max) and the time until everything accepted was graded.

    python bench/bench_serve.py                 # 100 uploads, 20 clients, 2 workers
    python bench/bench_serve.py -n 40 -c 10 -w 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "derivatives_activations_solved.ipynb"
STAFF = "bench-staff-token-0123456789abcdef"


def start(out: Path, workers: int) -> tuple[subprocess.Popen, str, Path]:
    log = out.parent / "serve.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "grader", "serve", str(out), "-a", "derivatives-activations",
                                 "--port", "0", "--workers", str(workers), "--roster", str(out.parent / "roster.csv")],
                                cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "GRADER_STAFF_TOKEN": STAFF})
    for _ in range(1200):
        m = re.search(r"listening on (http://\S+?)/? ", log.read_text())
        if m:
            return proc, m.group(1), log
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"grade serve did not start:\n{log.read_text()}")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else float("nan")


async def client(url: str, token: str, uploads: int, data: bytes, latencies: list[float], outcomes: list[tuple]) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        for i in range(uploads):
            t0 = time.perf_counter()
            r = await c.post("/api/submissions", files={"notebook": (f"hw{i}.ipynb", data)})
            latencies.append(time.perf_counter() - t0)
            body = r.json()
            outcomes.append((r.status_code, body.get("id"), body.get("error", "")))


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        out = Path(tmp) / "graded"
        out.mkdir()
        students = [f"s{i:02d}" for i in range(args.clients)]
        (Path(tmp) / "roster.csv").write_text("student\n" + "\n".join(students) + "\n")
        proc, url, log = start(out, args.workers)
        try:
            tokens = dict(line.split(",") for line in (out / "tokens.csv").read_text().split()[1:])
            data = SEED.read_bytes()
            share = [args.uploads // args.clients + (1 if i < args.uploads % args.clients else 0)
                     for i in range(args.clients)]
            latencies: list[float] = []
            outcomes: list[tuple] = []
            t0 = time.perf_counter()
            await asyncio.gather(*(client(url, tokens[s], n, data, latencies, outcomes) for s, n in zip(students, share)))
            sent = time.perf_counter() - t0
            accepted = [o[1] for o in outcomes if o[0] == 202]
            refused = [o for o in outcomes if o[0] in (429, 503)]
            other = [o for o in outcomes if o[0] not in (202, 429, 503)]
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {STAFF}"}, timeout=60) as c:
                states: dict[str, str] = {}
                while True:
                    for i in accepted:
                        if states.get(i) not in ("graded", "not_graded"):
                            states[i] = (await c.get(f"/api/submissions/{i}")).json()["status"]
                    if all(s in ("graded", "not_graded") for s in states.values()) or time.perf_counter() - t0 > 3600:
                        break
                    await asyncio.sleep(1)
            done = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(60)
    graded = sum(1 for s in states.values() if s == "graded")
    print(f"{args.uploads} uploads from {args.clients} clients, {args.workers} worker(s):")
    print(f"  accepted {len(accepted)}, refused {len(refused)} "
          f"({sum(1 for o in refused if o[0] == 429)}×429, {sum(1 for o in refused if o[0] == 503)}×503), "
          f"other {len(other)}; graded {graded}, not graded {len(accepted) - graded}, "
          f"lost {args.uploads - len(outcomes)}")
    print(f"  upload latency: p50 {pct(latencies, 50) * 1000:.0f} ms, p90 {pct(latencies, 90) * 1000:.0f} ms, "
          f"p99 {pct(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(mean {statistics.fmean(latencies) * 1000:.0f} ms); all sent in {sent:.1f} s")
    print(f"  everything accepted graded after {done:.0f} s ({done / max(1, graded):.1f} s per graded upload)")
    if refused:
        print(f"  a refusal says: {refused[0][2]}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--uploads", type=int, default=100)
    p.add_argument("-c", "--clients", type=int, default=20)
    p.add_argument("-w", "--workers", type=int, default=2)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
