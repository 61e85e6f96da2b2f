"""Where the floor's time goes, per notebook set: kernel start, the cells that only import, the rest.

A warm kernel pool can save a notebook's kernel start and its imports, and nothing else: every
other cell is the student's own code, which any grader has to run. So the floor's throughput
divided by what is left after those two parts is the most any grader can reach over the floor
on that set (before it renders the figures a figure question looks at, which the floor's Agg
backend never draws). Run beside `bench_batch.py`'s figures to read them against that ceiling.

For each set, the notebooks are the ones bench_batch.py grades (the solved seed and its variants;
the completed UDL 6.4 / 6.5 notebooks and their single-bug variants), each run by nbclient in a fresh
kernel, one at a time, as `exec_nb.py` runs them (MPLBACKEND=Agg, as in every bench_batch row), with
one untimed-for-the-ceiling cell first that imports every module the notebook imports (what a warm
kernel has already done). Kernel start is the manager's start + wait-for-ready; cell times are the
kernel's own (iopub execute_input to the shell reply, nbclient's record_timing); kernel CPU is the
user + system seconds of the kernel's process tree (as the grader's limits count them), read just
before it is shut down; "whole run" is start to shutdown, imports included, as the floor pays them.

usage: python bench/floor_parts.py [--sets seed,momentum,adam] [-n N]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.kernel.cputime import tree_cpu_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import COURSE_SETS, make_course_submissions, make_submissions  # noqa: E402


def imported(nb: nbformat.NotebookNode) -> list[str]:
    """Every module the notebook's code cells import, in order (magics and broken cells skipped)."""
    names: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return list(dict.fromkeys(names))


def _seconds(meta: dict) -> float:
    start = dt.datetime.fromisoformat(meta["iopub.execute_input"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(meta["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


async def parts(path: str) -> dict[str, float]:
    nb = nbformat.read(path, as_version=4)
    warm = nbformat.v4.new_code_cell("import importlib\nfor m in %r:\n    try:\n        importlib.import_module(m)\n"
                                     "    except Exception:\n        pass" % imported(nb))
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    t0 = time.perf_counter()
    async with client.async_setup_kernel():
        start = time.perf_counter() - t0
        t1 = time.perf_counter()
        await client.async_execute_cell(warm, 0)
        imports = time.perf_counter() - t1
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index)
        pid = client.km.provisioner.process.pid
        cpu = tree_cpu_seconds(pid)
        t2 = time.perf_counter()
    stop = time.perf_counter() - t2
    cells = sum(_seconds(c.metadata["execution"]) for c in nb.cells if c.cell_type == "code")
    return {"start": start, "imports": imports, "rest": cells, "stop": stop, "cpu": cpu,
            "total": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], usage=__doc__.rsplit("usage: ", 1)[1])
    ap.add_argument("--sets", default="seed,momentum,adam")
    ap.add_argument("-n", type=int, default=6, help="notebooks per set (default 6: the solution and 5 variants)")
    args = ap.parse_args()
    os.environ["MPLBACKEND"] = "Agg"
    print("| set | notebooks | kernel start | imports | the notebook's cells | kernel shutdown | kernel CPU | whole run "
          "| ceiling: whole run ÷ cells |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="floor-parts-") as tmp:
        for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
            dest = Path(tmp) / name
            if name == "seed":
                make_submissions(dest, args.n)
            else:
                make_course_submissions(dest, COURSE_SETS[name][0], args.n)
            got = [asyncio.run(parts(str(p))) for p in sorted(dest.glob("*.ipynb"))]
            med = {k: statistics.median(g[k] for g in got) for k in got[0]}
            print(f"| {name} | {len(got)} | {med['start']:.2f} s | {med['imports']:.2f} s | {med['rest']:.2f} s "
                  f"| {med['stop']:.2f} s | {med['cpu']:.2f} s | {med['total']:.2f} s | {med['total'] / med['rest']:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
