# Copied verbatim from ../shared/peers-bench/exec_nb.py (the peers baseline's floor runner), so that
# bench/bench_batch.py runs on a fresh clone; keep the two identical.
"""Execute notebooks in-process with nbclient's Python API (kernel python3).

usage: python exec_nb.py [--jobs N] [--report] [--hist-mem] NB [NB ...]
Notebooks run one after another (each its own kernel start/stop), or N at a time
with --jobs N (asyncio, one process). --report prints per-notebook seconds and
whether any cell raised. Outputs are not written back.
"""
import argparse
import asyncio
import os
import time

import nbformat
from nbclient import NotebookClient

HIST_MEM = False


async def run_one(path, sem, report):
    async with sem:
        t0 = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, kernel_name="python3", timeout=120, allow_errors=True,
            # as nbgrader does: keep IPython's history in memory (no sqlite file per kernel)
            extra_arguments=["--HistoryManager.hist_file=:memory:"] if HIST_MEM else [],
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )
        await client.async_execute()
        errors = sum(
            1 for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"
        )
        dt = time.perf_counter() - t0
        if report:
            print(f"{dt:7.3f}s errors={errors} {path}", flush=True)
        return dt


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--hist-mem", action="store_true",
                    help="start kernels with --HistoryManager.hist_file=:memory: (nbgrader's default)")
    ap.add_argument("notebooks", nargs="+")
    a = ap.parse_args()
    global HIST_MEM
    HIST_MEM = a.hist_mem
    sem = asyncio.Semaphore(a.jobs)
    t0 = time.perf_counter()
    await asyncio.gather(*(run_one(p, sem, a.report) for p in a.notebooks))
    if a.report:
        print(f"total {time.perf_counter() - t0:.3f}s for {len(a.notebooks)} notebooks", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
