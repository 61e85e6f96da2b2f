"""Scores must not depend on machine load: grade the same notebooks idle and with every core
saturated, under a tight --cell-timeout, and compare the scores side by side.

    python bench/bench_load.py [--cell-timeout 5] [--busy 4]

The notebooks: the seed solution, the same with ~3 s of CPU work in one C call at the top of
its import cell (as a student's data preparation might be), and two buggy variants. Each is
graded by `grade --format json` in a fresh process, idle and then with `--busy` processes
spinning (each in its own session, as other graders or a TA's browser would be). Exit 1 when
any score differs.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "derivatives_activations_solved.ipynb"
# one C call of about 3 s on this machine: a large sort (no Python loop, so not interruptible early)
HEAVY = "import numpy as _np\n_np.sort(_np.random.default_rng(0).random(20_000_000))\n"


def _notebooks(folder: Path) -> list[Path]:
    base = nbformat.read(SEED, as_version=4)
    out = []

    def save(name: str, nb: nbformat.NotebookNode) -> None:
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        out.append(path)

    save("solution", base)
    heavy = copy.deepcopy(base)
    first = next(c for c in heavy.cells if c.cell_type == "code" and "import torch" in c.source)
    first.source = HEAVY + first.source
    save("heavy_import", heavy)
    wrong = copy.deepcopy(base)
    cell = next(c for c in wrong.cells if "def relu(" in c.source)
    cell.source = cell.source.replace("return torch.maximum(torch.tensor(0.0), x)", "return x")
    save("relu_identity", wrong)
    slow = copy.deepcopy(heavy)
    cell = next(c for c in slow.cells if "def sigmoid(" in c.source)
    cell.source = cell.source.replace("def sigmoid(x", "def _unused(x", 1)
    save("heavy_no_sigmoid", slow)
    return out


def _grade(path: Path, cell_timeout: float) -> tuple[float | None, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grader", str(path), "-a", "derivatives-activations",
                           "--format", "json", "--cell-timeout", str(cell_timeout)],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        return None, seconds, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no output"
    timeouts = [e["message"] for e in report.get("events", []) if e.get("kind") == "timeout"]
    return report.get("score"), seconds, "; ".join(timeouts)[:120]


def _busy(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cell-timeout", type=float, default=5.0)
    ap.add_argument("--busy", type=int, default=2 * (os.cpu_count() or 2))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        notebooks = _notebooks(Path(tmp))
        idle = {p.stem: _grade(p, args.cell_timeout) for p in notebooks}
        spinners = _busy(args.busy)
        try:
            time.sleep(1)
            loaded = {p.stem: _grade(p, args.cell_timeout) for p in notebooks}
        finally:
            for s in spinners:
                s.kill()
                s.wait()
    print(f"--cell-timeout {args.cell_timeout:g}, {args.busy} busy processes on {os.cpu_count()} cores\n")
    print("| notebook | idle score | idle s | loaded score | loaded s | same |")
    print("| --- | --- | --- | --- | --- | --- |")
    same = True
    for name in idle:
        (a, ta, why_a), (b, tb, why_b) = idle[name], loaded[name]
        same &= a == b and a is not None
        print(f"| {name} | {a} | {ta:.1f} | {b} | {tb:.1f} | {'yes' if a == b else 'NO'} |")
        for why in {why_a, why_b} - {""}:
            print(f"|   ↳ {why} | | | | | |")
    print("\nidentical scores" if same else "\nSCORES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
