"""`grade` on one notebook against the floor, side by side in one run.

The floor is a fresh process running the notebook with nbclient alone
(bench/floor.py, the same call as ../shared/peers-bench/exec_nb.py). Runs are
interleaved (floor, grade, floor, grade, ...) after a warm-up of each, so both
see the same machine load; figures are whole-process wall clock (start-up
included).

usage: python bench/bench_grade.py [-n RUNS] [NOTEBOOK]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_NB = ROOT / "examples" / "derivatives_activations_solved.ipynb"


def timed(cmd: list[str]) -> float:
    """Whole-process wall seconds, start-up included."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    return wall


def sandbox_state() -> str:
    from grader.kernel.sandbox import bubblewrap

    return "bubblewrap" if bubblewrap() else "fallback (no bubblewrap)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook", nargs="?", default=str(DEFAULT_NB))
    ap.add_argument("-n", "--runs", type=int, default=7)
    args = ap.parse_args()
    contenders = {
        "floor (nbclient only)": [sys.executable, str(ROOT / "bench" / "floor.py"), args.notebook],
        "grade": [str(BIN / "grade"), args.notebook, "--format", "json", "-o", os.devnull],
        "grade --no-sandbox": [str(BIN / "grade"), args.notebook, "--no-sandbox", "--format", "json", "-o", os.devnull],
    }
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for cmd in contenders.values():  # warm-up: disk caches, matplotlib font cache
        timed(cmd)
    for _ in range(args.runs):
        for name, cmd in contenders.items():
            times[name].append(timed(cmd))
    floor = statistics.median(times["floor (nbclient only)"])
    print(f"notebook: {args.notebook}  runs: {args.runs} (interleaved, after 1 warm-up each)")
    print(f"isolation in force for `grade`: {sandbox_state()}")
    print("| what | median | min–max | × floor |\n| --- | --- | --- | --- |")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.3f} s | {min(ts):.3f}–{max(ts):.3f} | {med / floor:.2f} |")


if __name__ == "__main__":
    main()
