"""Batch throughput: `grade batch` against the floor (and, with --peers, nbgrader and Otter), in one run.

Every row is one whole process (start-up included), timed from outside by wall clock, with
its process tree sampled every 0.2 s from /proc for memory and CPU. Rows run back to back in
the order listed, reversed every other round (--runs), after an untimed warm-up
of each contender on one or two notebooks.

The N submissions (-n, default 100) are copies of the solved seed notebook
(examples/derivatives_activations_solved.ipynb) and 8 variants from tests/variants.py
(4 correct in another way, 4 buggy), cycled and named s001.ipynb … sNNN.ipynb.

Rows on the N submissions (--sets seed):
- grade batch (warm pool): `grade batch DIR -a derivatives-activations -o OUT --workers 2 --no-progress`
  into a fresh OUT: discovery, one sandboxed kernel per notebook (2 at a time) forked from the
  process's warm pool (grader/kernel/pool.py: the zygote's build is part of the row), probes
  compared with torch outside the kernel, LaTeX checked with sympy, the SQLite gradebook,
  grades.csv, feedback .md/.html per student and report.html.
- grade batch --no-warm: the same, every kernel started cold.
- floor: `python bench/exec_nb.py --jobs 2 DIR/*.ipynb` (a copy of the peers' runner): one
  process, each notebook executed by nbclient in its own kernel, 2 at a time, nothing
  checked or written. The same interpreter and venv as `grade`.
- grade, one notebook / floor, one notebook: the same two commands on s001 alone, for
  scale ("100 × grade alone" is what grading a class one `grade` call at a time costs).
The per-submission seconds come from OUT/gradebook.sqlite (`submissions.seconds`: from the
moment a worker picks the notebook up to its result, so it includes sharing the 2 cores
with the other worker).

Course sets (--sets momentum,adam; --course-n submissions each, default 18): the UDL 6.4 (momentum)
and 6.5 (Adam) notebooks as the course hands them out, completed (assignments/udl-*/solution.ipynb:
NumPy, plots, loop cells that draw), cycled with their single-bug variants from
tests/variants_udl.py, graded with their bundled assignment: grade batch (warm pool), grade batch
--no-warm and the floor, as above. Note the floor's kernels get MPLBACKEND=Agg (every row's
environment has it), so they render no figure at all, where the grader's inline backend renders
the figures of the cells a figure question looks at.

Rows with --peers, on the peers' own 20 notebooks (../shared/peers-bench, copied to a temp
dir; venvs /tmp/venv-floor, /tmp/venv-nbgrader, /tmp/venv-otter made by its setup.sh,
torch pinned to 2.13.0): floor `exec_nb.py --jobs 2` (venv-floor), `nbgrader autograde ps1
--force` (all 20 in one process: nbgrader has no parallel autograde), `otter_batch.sh 2`
(20 × `otter run`, 2 at a time), and `grade batch` of the same 20 notebooks with
bench/peers-assignment.yaml, `--workers 2`. Scores of every contender are printed as a
check that grading was real.

Memory: "largest process" is the peak RSS (VmHWM) of the largest single process of the tree,
as in the peers' table; for `grade batch` the grader process and the largest kernel are
given apart, and "per worker" is the tree's peak total RSS divided by the notebooks in flight (RSS
counts shared library pages once per process, so sums overstate); "peak PSS per worker" is the
peak of the tree's total PSS (/proc/PID/smaps_rollup, sampled with the RSS: a page shared by k
processes counts 1/k in each, so the pages forked kernels share with their zygote count once)
divided the same way. Load: "others" is the
machine's busy CPU during the row minus our tree's CPU (sampled, so approximate), in cores.

usage: python bench/bench_batch.py [-n N] [--course-n M] [--sets seed,momentum,adam] [--runs R] [--peers] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
GRADE = str(BIN / "grade")
PEERS_SRC = ROOT.parent / "shared" / "peers-bench"
WORKERS = 2
ASSIGNMENT = "derivatives-activations"
VARIANTS = ["stable_sigmoid", "clamp_relu", "bce_mean_reduction", "warnings_and_stderr",  # correct, another way
            "sigmoid_deriv_code_plus", "relu_deriv_latex_flipped", "bce_grad_is_dLdz", "cell_raises_before_def"]
# what nbgrader's tests catch in the peers' notebooks (nbsrc.BUGS): the questions that must lose points
PEERS_LOSSES = {"s05": {"sigmoid_derivative"}, "s10": {"binary_cross_entropy"}, "s15": {"bce_derivative"},
                "s20": {"sigmoid", "sigmoid_derivative"}}
MiB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- measuring one process tree

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _proc(pid: int) -> tuple[int, str, int, int, float] | None:
    """(start time, command line, VmHWM bytes, VmRSS bytes, user+system CPU seconds) of a process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()  # empty once a zombie
        hwm = rss = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
        fields = stat[stat.rfind(b")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        start = int(fields[19])
    except (OSError, ValueError, IndexError):
        return None
    return start, cmd, hwm, rss, cpu


def _pss(pid: int) -> int:
    """Proportional set size in bytes (/proc/PID/smaps_rollup): a page shared by k processes counts 1/k in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


class TreeSampler(threading.Thread):
    """Every `interval` s: every process descending from `root` (the root included), keyed by pid and start
    time; keeps each one's peak RSS, last CPU time and whether it ever was a kernel, and the peak of the
    tree's total RSS."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.stop = threading.Event()
        self.procs: dict[tuple[int, int], dict] = {}
        self.tree_peak = 0
        self.pss_peak = 0  # peak of the tree's total PSS: pages shared (a zygote's with its children) count once

    def sample(self) -> None:
        kids, todo, total, pss = _children(), [self.root], 0, 0
        while todo:
            pid = todo.pop()
            todo.extend(kids.get(pid, []))
            p = _proc(pid)
            if p is None:
                continue
            start, cmd, hwm, rss, cpu = p
            rec = self.procs.setdefault((pid, start), {"hwm": 0, "cpu": 0.0, "root": pid == self.root,
                                                       "kernel": False, "cmd": cmd})
            rec["hwm"], rec["cpu"] = max(rec["hwm"], hwm), max(rec["cpu"], cpu)
            if cmd:
                rec["cmd"], rec["kernel"] = cmd, rec["kernel"] or _is_kernel(cmd)
            total += rss
            pss += _pss(pid)
        self.tree_peak = max(self.tree_peak, total)
        self.pss_peak = max(self.pss_peak, pss)

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)


@dataclass
class Measure:
    wall: float
    rc: int
    largest: int            # bytes, largest single process (peak RSS)
    largest_what: str       # which: the command's own process, a kernel, or another child
    root_peak: int          # bytes, the command's own process
    kernel_peak: int        # bytes, the largest Jupyter kernel (0 if none seen)
    kernels: int            # kernel processes seen
    tree_peak: int          # bytes, peak of the tree's total RSS
    pss_peak: int           # bytes, peak of the tree's total PSS
    cpu: float              # s, CPU of our tree (approximate: sampled, or wait4's when larger)
    others: float           # cores busy with other work on the machine during the row
    log: Path


def _is_kernel(cmd: str) -> bool:
    """The kernel's own Python process, not the prlimit / bwrap wrappers whose command lines contain it."""
    return Path(cmd.split(" ")[0]).name.startswith("python") and "ipykernel" in cmd


def measure(cmd: list[str], log: Path, cwd: Path | None = None, env: dict | None = None,
            ok: tuple[int, ...] = (0,)) -> Measure:
    """Run `cmd` to completion; output to `log`. Raises if it exits with a code not in `ok`."""
    env = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    busy0 = _machine_busy()
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    sampler.stop.set()
    sampler.join()
    busy = _machine_busy() - busy0
    procs = sampler.procs
    root_peak = max([r["hwm"] for r in procs.values() if r["root"]] + [0])
    kernels = [r["hwm"] for r in procs.values() if r["kernel"]]
    if procs:
        top = max(procs.values(), key=lambda r: r["hwm"])
        largest = top["hwm"]
        what = "its own process" if top["root"] else "a kernel" if top["kernel"] else Path(top["cmd"].split(" ")[0]).name
    else:  # exited before the first sample: wait4's figure (the largest of it and the children it reaped)
        largest, what = ru.ru_maxrss * 1024, "its own process or a child"
    cpu = max(sum(r["cpu"] for r in procs.values()), ru.ru_utime + ru.ru_stime)
    if rc not in ok:
        tail = log.read_text(errors="replace")[-1500:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {rc} (output: {log})\n{tail}")
    return Measure(wall, rc, largest, what, root_peak, max(kernels, default=0), len(kernels), sampler.tree_peak,
                   sampler.pss_peak, cpu, max(0.0, busy - cpu) / wall, log)


# --------------------------------------------------------------------------- rows

@dataclass
class Row:
    name: str
    notebooks: int
    floor: str | None            # the row this one is compared with (× floor)
    measures: list[Measure] = field(default_factory=list)
    note: str = ""               # set instead of measures when the row could not run
    workers: int = WORKERS       # notebooks in flight at once (nbgrader: 1)

    def med(self, attr: str = "wall") -> float:
        return statistics.median(getattr(m, attr) for m in self.measures)

    def wall_text(self) -> str:
        w = [m.wall for m in self.measures]
        return f"{self.med():.1f}" + (f" ({min(w):.1f}–{max(w):.1f})" if len(w) > 1 else "")


def table(rows: list[Row]) -> str:
    by_name = {r.name: r for r in rows}
    out = ["| what | wall s | per notebook | × floor | peak RSS (largest process) |", "| --- | ---: | ---: | ---: | --- |"]
    for r in rows:
        if not r.measures:
            out.append(f"| {r.name} | – | – | – | {r.note} |")
            continue
        ref = by_name.get(r.floor) if r.floor else None
        ratio = f"{r.med() / ref.med():.2f}" if ref and ref.measures else "–"
        m = max(r.measures, key=lambda m: m.largest)
        out.append(f"| {r.name} | {r.wall_text()} | {r.med() / r.notebooks:.2f} s | {ratio} | "
                   f"{m.largest / MiB:.0f} MiB ({m.largest_what}) |")
    return "\n".join(out)


def memory_table(rows: list[Row]) -> str:
    out = ["| what | its own process | largest kernel | kernels | tree peak RSS | per worker | peak PSS per worker "
           "| CPU s | others (cores) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        if not r.measures:
            continue
        f = lambda a: max(getattr(m, a) for m in r.measures)  # noqa: E731
        per_worker = f"{f('tree_peak') / r.workers / MiB:.0f} MiB" if r.notebooks > 1 else "–"
        pss = f"{f('pss_peak') / (r.workers if r.notebooks > 1 else 1) / MiB:.0f} MiB"
        out.append(f"| {r.name} | {f('root_peak') / MiB:.0f} MiB | {f('kernel_peak') / MiB:.0f} MiB | "
                   f"{r.measures[0].kernels} | {f('tree_peak') / MiB:.0f} MiB | {per_worker} | {pss} | {r.med('cpu'):.0f} | "
                   f"{max(m.others for m in r.measures):.2f} |")
    return "\n".join(out)


# --------------------------------------------------------------------------- our submissions

def make_submissions(dest: Path, n: int) -> list[str]:
    """sNNN.ipynb cycling through the solved seed and VARIANTS; returns the source name of each."""
    sys.path.insert(0, str(ROOT / "tests"))
    from variants import BUGGY, CORRECT, SEED  # noqa: PLC0415 - tests/ is not a package

    built = dest.parent / "variants"
    built.mkdir(parents=True, exist_ok=True)
    by_name = {v.name: v for v in BUGGY + CORRECT}
    sources = [("solved", SEED)] + [(name, by_name[name].build(built)) for name in VARIANTS]
    return _cycle(sources, dest, n)


def _cycle(sources: list[tuple[str, Path]], dest: Path, n: int) -> list[str]:
    """dest/sNNN.ipynb for NNN = 1..n, cycling through `sources`; the source name of each."""
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        name, path = sources[i % len(sources)]
        shutil.copyfile(path, dest / f"s{i + 1:03d}.ipynb")
        names.append(name)
    return names


COURSE_SETS = {"momentum": ("udl_6_4_momentum", "udl-6-4-momentum"), "adam": ("udl_6_5_adam", "udl-6-5-adam")}


def make_course_submissions(dest: Path, notebook: str, n: int) -> list[str]:
    """sNNN.ipynb cycling through a UDL solution (NumPy, plots, loop cells: the upstream blank completed)
    and its single-bug variants from tests/variants_udl.py; returns the source name of each."""
    sys.path.insert(0, str(ROOT / "tests"))
    from variants_udl import BUGGY, SOLUTIONS  # noqa: PLC0415 - tests/ is not a package

    built = dest.parent / f"variants-{notebook}"
    built.mkdir(parents=True, exist_ok=True)
    sources = [("solution", SOLUTIONS[notebook])] + [(v.name.split("__")[1], v.build(built)) for v in BUGGY[notebook]]
    return _cycle(sources, dest, n)


def gradebook(out: Path) -> tuple[list[tuple], dict[str, dict[str, tuple[float, float]]]]:
    """(student, outcome, score, max_score, seconds, result JSON) rows, and {student: {question: (score, max)}}."""
    db = sqlite3.connect(out / "gradebook.sqlite")
    subs = db.execute("SELECT student, outcome, score, max_score, seconds, result_json FROM submissions "
                      "ORDER BY student").fetchall()
    qs: dict[str, dict[str, tuple[float, float]]] = {}
    for student, q, score, mx in db.execute("SELECT student, question, score, max_score FROM questions"):
        qs.setdefault(student, {})[q] = (score, mx)
    db.close()
    return subs, qs


def sandbox_state() -> str:
    from grader.kernel.sandbox import bubblewrap

    return "bubblewrap" if bubblewrap() else "fallback (no bubblewrap)"


# --------------------------------------------------------------------------- peers

class Peers:
    """The peers' benchmark folder copied to `work`, its venvs made by its own setup.sh."""

    VENVS = {"floor": "/tmp/venv-floor", "nbgrader": "/tmp/venv-nbgrader", "otter": "/tmp/venv-otter"}

    def __init__(self, work: Path) -> None:
        self.dir = work / "peers-bench"
        shutil.copytree(PEERS_SRC, self.dir, ignore=shutil.ignore_patterns("__pycache__"))
        for d, _, files in os.walk(self.dir):  # the shared folder is read-only, and so is the copy
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o755 if f.endswith(".sh") else 0o644)
        self.logs = work / "logs"
        self.problem: dict[str, str] = {}  # venv -> "" when usable, else what went wrong

    def setup(self) -> None:
        """setup.sh one venv at a time (so one failed install does not stop the others), then a smoke test."""
        smoke = {"floor": "import torch, nbclient, ipykernel, matplotlib",
                 "nbgrader": "import torch, nbgrader, matplotlib", "otter": "import torch, otter, ipykernel, matplotlib"}
        for name, venv in self.VENVS.items():
            log = self.logs / f"setup-{name}.log"
            t0 = time.perf_counter()
            env = {**os.environ, "PYTHON": os.environ.get("PYTHON", "python3.11")}
            with open(log, "wb") as out:
                rc = subprocess.run(["bash", str(self.dir / "setup.sh"), name], cwd=self.dir, stdout=out,
                                    stderr=subprocess.STDOUT, env=env).returncode
            if rc == 0:
                rc = subprocess.run([f"{venv}/bin/python", "-c", smoke[name]], capture_output=True).returncode
            self.problem[name] = "" if rc == 0 else f"setup failed (exit {rc}); last lines: " + " / ".join(
                log.read_text(errors="replace").strip().splitlines()[-3:])
            torch = self.version(name, "torch")
            print(f"  {name}: {self.problem[name] or 'ok'} ({time.perf_counter() - t0:.0f} s, torch {torch})", flush=True)
            if torch and not torch.startswith("2.13.0"):
                self.problem[name] = f"wrong torch {torch} installed (want 2.13.0)"

    def version(self, venv: str, dist: str) -> str:
        r = subprocess.run([f"{self.VENVS[venv]}/bin/python", "-c",
                            f"import importlib.metadata as m; print(m.version({dist!r}))"], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""

    def env(self, venv: str) -> dict:
        return {"PATH": f"{self.VENVS[venv]}/bin:{os.environ['PATH']}"}  # nbgrader shells out to `alembic`

    @property
    def students(self) -> list[str]:
        return sorted(str(p) for p in (self.dir / "floor" / "students").glob("s*.ipynb"))

    def prepare_nbgrader(self) -> None:
        """As run_nbgrader.sh, untimed: the source and release notebooks, the gradebook, the 20 submissions."""
        course, env = self.dir / "nbgrader" / "course", self.env("nbgrader")
        py = f"{self.VENVS['nbgrader']}/bin/python"
        for cmd in ([py, str(self.dir / "make_submissions.py"), "sources"], ["rm", "-f", "gradebook.db"],
                    ["nbgrader", "generate_assignment", "ps1", "--force"],
                    [py, str(self.dir / "make_submissions.py"), "nbgrader"]):
            measure(cmd, self.logs / "nbgrader-prepare.log", cwd=course, env=env)

    def nbgrader_cmd(self, student: str | None = None) -> list[str]:
        return ["nbgrader", "autograde", "ps1", "--force"] + ([f"--student={student}"] if student else [])

    def nbgrader_scores(self) -> dict[str, float]:
        code = ("import json; from nbgrader.api import Gradebook\n"
                "with Gradebook('sqlite:///gradebook.db') as gb:\n"
                "    print(json.dumps({s.student.id: s.score for s in gb.assignment_submissions('ps1')}))")
        r = subprocess.run([f"{self.VENVS['nbgrader']}/bin/python", "-c", code], cwd=self.dir / "nbgrader" / "course",
                           capture_output=True, text=True, check=True)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def prepare_otter(self) -> None:
        """As run_otter.sh, untimed: the autograder zip (built only if missing) and the 20 submissions."""
        otter, env = self.dir / "otter", self.env("otter")
        if not (otter / "autograder.zip").exists():
            measure([f"{self.VENVS['otter']}/bin/python", str(self.dir / "make_submissions.py"), "sources"],
                    self.logs / "otter-prepare.log", cwd=otter, env=env)
            shutil.rmtree(otter / "dist", ignore_errors=True)
            measure(["otter", "assign", "master/ps1.ipynb", "dist"], self.logs / "otter-assign.log", cwd=otter, env=env)
            shutil.copyfile(next((otter / "dist" / "autograder").glob("ps1-autograder_*.zip")), otter / "autograder.zip")
        if not (otter / "submissions" / "s20.ipynb").exists():
            measure([f"{self.VENVS['otter']}/bin/python", str(self.dir / "make_submissions.py"), "otter"],
                    self.logs / "otter-prepare.log", cwd=otter, env=env)

    def otter_one_cmd(self) -> list[str]:
        (self.dir / "otter" / "results" / "s01").mkdir(parents=True, exist_ok=True)
        return ["otter", "run", "-a", "autograder.zip", "-o", "results/s01", "--no-logo", "submissions/s01.ipynb"]

    def otter_scores(self) -> dict[str, float]:
        scores = {}
        for f in sorted((self.dir / "otter" / "results").glob("s*/results.json")):
            r = json.loads(f.read_text())
            scores[f.parent.name] = sum(t.get("score") or 0 for t in r["tests"])
        return scores


def phases_line(out: Path, wall: float) -> str:
    """Median phases per submission from a batch's gradebook (the grader's own timings) and the isolation said."""
    subs_rows, _ = gradebook(out)
    phases: dict[str, list[float]] = {}
    isolations: set[str] = set()
    for r in subs_rows:
        result = json.loads(r[5]) if r[5] else {}
        for k, v in (result.get("timings") or {}).items():
            phases.setdefault(k, []).append(v)
        iso = result.get("isolation") or ""
        isolations.add("warm pool" if "warm pool" in iso and "not used" not in iso else
                       "cold (pool not used)" if "not used" in iso else "cold")
    return ("median phases " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in phases.items())
            + f"; kernels: {', '.join(sorted(isolations))}")


def fmt_scores(scores: dict[str, float], full: float) -> str:
    lost = {s: v for s, v in sorted(scores.items()) if v < full}
    missing = sorted({f"s{i:02d}" for i in range(1, 21)} - set(scores))
    return (f"{len(scores)} graded, {len(scores) - len(lost)} at {full:g}/{full:g}; lost points: "
            + (", ".join(f"{s}={v:g}" for s, v in lost.items()) or "none")
            + (f"; NO RESULT for {', '.join(missing)}" if missing else ""))


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100, help="submissions for the grade batch / floor rows (default 100)")
    ap.add_argument("--runs", type=int, default=1, help="timed rounds of every row (default 1)")
    ap.add_argument("--peers", action="store_true", help="also install and time the floor, nbgrader and Otter on the "
                                                         "peers' 20 notebooks (../shared/peers-bench), and grade batch on them")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, gradebooks)")
    ap.add_argument("--sets", default="seed," + ",".join(COURSE_SETS),
                    help=f"notebook sets to time: seed and/or {', '.join(COURSE_SETS)} (default: all)")
    ap.add_argument("--course-n", type=int, default=18, help="submissions per course set (default 18)")
    args = ap.parse_args()
    if args.n < 1 or args.runs < 1 or args.course_n < 1:
        ap.error("-n, --course-n and --runs must be at least 1")
    sets = [x.strip() for x in args.sets.split(",") if x.strip()]
    if any(x not in ("seed", *COURSE_SETS) for x in sets):
        ap.error(f"--sets: choose from seed, {', '.join(COURSE_SETS)}")

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    (work / "logs").mkdir()
    started = datetime.datetime.now()
    load0 = os.getloadavg()
    print(f"# bench_batch: {started:%Y-%m-%d %H:%M}, {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"work dir {work}", flush=True)
    print(f"command: python bench/bench_batch.py {' '.join(sys.argv[1:])}")
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    print(f"grader at {head.stdout.strip() or '?'}; isolation for `grade`: {sandbox_state()}")
    print(f"load average at start (1, 5, 15 min): {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", flush=True)

    subs = work / "submissions"
    sources = make_submissions(subs, args.n)
    notebooks = sorted(str(p) for p in subs.glob("s*.ipynb"))
    floor_cmd = [sys.executable, str(BENCH / "exec_nb.py"), "--jobs", str(WORKERS)]
    batch_cmd = [GRADE, "batch", "-a", ASSIGNMENT, "--workers", str(WORKERS), "--no-progress"]
    n = args.n

    # each job: (row, callable returning a Measure); a job may also read its output afterwards
    rows: list[Row] = []
    jobs: list[tuple[Row, object]] = []
    outs: dict[str, Path] = {}

    def batch_job(row: Row, inputs: list[str] | str, assignment: str | None = None, key: str = "",
                  extra: tuple[str, ...] = ()) -> None:
        def run() -> Measure:
            out = work / f"out-{key}"
            shutil.rmtree(out, ignore_errors=True)
            outs[key] = out
            cmd = batch_cmd + list(extra) + ([inputs] if isinstance(inputs, str) else inputs) + ["-o", str(out)]
            if assignment:
                cmd[cmd.index("-a") + 1] = assignment
            return measure(cmd, work / "logs" / f"{key}.log", ok=(0, 1))  # 1: some notebook could not be graded
        rows.append(row)
        jobs.append((row, run))

    def plain_job(row: Row, cmd: list[str], key: str, **kw) -> None:
        rows.append(row)
        jobs.append((row, lambda: measure(cmd, work / "logs" / f"{key}.log", **kw)))

    main_rows: list[Row] = []
    course_rows: dict[str, tuple[list[Row], list[str], str]] = {}  # set -> rows, source names, assignment
    if "seed" in sets:
        batch_job(Row(f"grade batch -j {WORKERS} (warm pool), {n} notebooks", n, f"floor, {n} notebooks"), str(subs),
                  key="ours")
        batch_job(Row(f"grade batch -j {WORKERS} --no-warm, {n} notebooks", n, f"floor, {n} notebooks"), str(subs),
                  key="ours-cold", extra=("--no-warm",))
        plain_job(Row(f"floor, {n} notebooks", n, None), floor_cmd + notebooks, "floor")
        plain_job(Row("grade, one notebook alone", 1, "floor, one notebook alone"),
                  [GRADE, notebooks[0], "-a", ASSIGNMENT, "--format", "json", "-o", os.devnull], "grade-one")
        plain_job(Row("floor, one notebook alone", 1, None), floor_cmd + notebooks[:1], "floor-one")
        main_rows = list(rows)
    for name in sets:
        if name == "seed":
            continue
        notebook, aid = COURSE_SETS[name]
        cdir = work / f"course-{name}"
        names = make_course_submissions(cdir, notebook, args.course_n)
        paths = sorted(str(p) for p in cdir.glob("s*.ipynb"))
        m, before = args.course_n, len(rows)
        floor_name = f"floor, {m} {name} notebooks"
        batch_job(Row(f"grade batch -j {WORKERS} (warm pool), {m} {name} notebooks", m, floor_name), str(cdir), aid,
                  key=f"{name}-ours")
        batch_job(Row(f"grade batch -j {WORKERS} --no-warm, {m} {name} notebooks", m, floor_name), str(cdir), aid,
                  key=f"{name}-ours-cold", extra=("--no-warm",))
        plain_job(Row(floor_name, m, None), floor_cmd + paths, f"{name}-floor")
        course_rows[name] = (rows[before:], names, aid)

    peers: Peers | None = None
    peer_rows: list[Row] = []
    if args.peers:
        print("\nsetting up the peers' venvs (../shared/peers-bench/setup.sh, untimed):", flush=True)
        peers = Peers(work)
        peers.setup()
        students = peers.students
        names = {"floor": "floor (nbclient), 2 at a time", "ours": f"grade batch --workers {WORKERS}",
                 "nbgrader": "nbgrader autograde (one process, sequential)", "otter": "otter run × 20, 2 at a time"}
        floor_name = names["floor"]
        before = len(rows)
        if not peers.problem["floor"]:
            plain_job(Row(floor_name, 20, None), [f"{Peers.VENVS['floor']}/bin/python", str(peers.dir / "exec_nb.py"),
                                                  "--jobs", str(WORKERS)] + students, "peers-floor", cwd=peers.dir)
        else:
            rows.append(Row(floor_name, 20, None, note=peers.problem["floor"]))
        batch_job(Row(names["ours"], 20, floor_name), students, str(BENCH / "peers-assignment.yaml"), key="peers-ours")
        peer_cmds = {"nbgrader": peers.nbgrader_cmd, "otter": lambda: ["bash", str(peers.dir / "otter_batch.sh"), str(WORKERS)]}
        for tool, cmd_of in peer_cmds.items():
            if peers.problem[tool]:
                rows.append(Row(names[tool], 20, floor_name, note=peers.problem[tool]))
                continue
            try:
                (peers.prepare_nbgrader if tool == "nbgrader" else peers.prepare_otter)()
            except Exception as e:  # noqa: BLE001 - report and go on with the other rows
                rows.append(Row(names[tool], 20, floor_name, note=f"could not prepare: {str(e).splitlines()[0]}"))
                peers.problem[tool] = "could not prepare"
                continue
            cwd = peers.dir / "nbgrader" / "course" if tool == "nbgrader" else peers.dir
            # xargs exits 123 when some `otter run` failed: the batch is still timed, the scores say which
            plain_job(Row(names[tool], 20, floor_name, workers=1 if tool == "nbgrader" else WORKERS), cmd_of(),
                      f"peers-{tool}", cwd=cwd, env=peers.env(tool),
                      ok=(0, 123) if tool == "otter" else (0,))
        peer_rows = rows[before:]

    # warm-up, untimed: disk caches, the matplotlib cache, and a check that every command works
    print("\nwarm-up (untimed) ...", flush=True)
    warm = work / "warm"
    warm.mkdir()
    for p in notebooks[:2]:
        shutil.copy(p, warm)
    measure(batch_cmd + [str(warm), "-o", str(work / "out-warm")], work / "logs" / "warm-ours.log", ok=(0, 1))
    measure(batch_cmd + ["--no-warm", str(warm), "-o", str(work / "out-warm-cold")], work / "logs" / "warm-ours-cold.log",
            ok=(0, 1))
    measure(floor_cmd + notebooks[:2], work / "logs" / "warm-floor.log")
    if peers:
        if not peers.problem["floor"]:
            measure([f"{Peers.VENVS['floor']}/bin/python", str(peers.dir / "exec_nb.py")] + peers.students[:1],
                    work / "logs" / "warm-peers-floor.log")
        for tool, cmd, cwd in (("nbgrader", peers.nbgrader_cmd("s01"), peers.dir / "nbgrader" / "course"),
                               ("otter", peers.otter_one_cmd(), peers.dir / "otter")):
            if not peers.problem[tool]:
                try:
                    measure(cmd, work / "logs" / f"warm-{tool}.log", cwd=cwd, env=peers.env(tool))
                except RuntimeError as e:
                    peers.problem[tool] = f"warm-up failed: {str(e).splitlines()[0]}"
                    jobs[:] = [(r, j) for r, j in jobs if r.name != names[tool]]
                    next(r for r in rows if r.name == names[tool]).note = peers.problem[tool]

    peak_load = 0.0
    for rnd in range(args.runs):
        order = jobs if rnd % 2 == 0 else jobs[::-1]
        for row, job in order:
            print(f"round {rnd + 1}/{args.runs}: {row.name} ...", end=" ", flush=True)
            try:
                m = job()
            except RuntimeError as e:
                print(f"FAILED: {e}", flush=True)
                row.note = f"failed: {str(e).splitlines()[0]}"
                continue
            row.measures.append(m)
            peak_load = max(peak_load, os.getloadavg()[0])
            print(f"{m.wall:.1f} s (others busy: {m.others:.2f} cores)", flush=True)
    load1 = os.getloadavg()

    # ------------------------------------------------------------------ report
    if main_rows:
        print(f"\n## {n} submissions of `{ASSIGNMENT}` ({WORKERS} at a time), {args.runs} run(s), "
              f"median{' (min–max)' if args.runs > 1 else ''}\n")
        print(table(main_rows))
        print("\nMemory and load (largest over the runs; CPU median):\n")
        print(memory_table(main_rows))
        for key in ("ours", "ours-cold"):
            if key in outs:
                print(f"{key}: " + phases_line(outs[key], main_rows[0].measures[-1].wall if main_rows[0].measures else 0))
    for name, (crows, cnames, aid) in course_rows.items():
        print(f"\n## {args.course_n} submissions of `{aid}` (the solution and {len(set(cnames)) - 1} single-bug variants, "
              f"cycled; {WORKERS} at a time), {args.runs} run(s), median\n")
        print(table(crows))
        print("\nMemory and load:\n")
        print(memory_table(crows))
        for key, label in ((f"{name}-ours", "warm pool"), (f"{name}-ours-cold", "--no-warm")):
            if key in outs and (outs[key] / "gradebook.sqlite").exists():
                print(f"{label}: " + phases_line(outs[key], 0))
                subs_rows, _ = gradebook(outs[key])
                by_source: dict[str, set[str]] = {}
                for (_, outcome, score, mx, *_), src in zip(subs_rows, cnames):
                    by_source.setdefault(src, set()).add(f"{score:g}/{mx:g}" if outcome == "graded" else outcome)
                print(f"  scores by source ({label}): " + "; ".join(f"{k} {', '.join(sorted(v))}" for k, v in by_source.items()))

    ours_row, one = (main_rows[0], main_rows[3]) if main_rows else (Row("", 0, None), Row("", 0, None))
    if ours_row.measures:
        subs_rows, _ = gradebook(outs["ours"])
        secs = [r[4] for r in subs_rows if r[4] is not None]
        graded = sum(r[1] == "graded" for r in subs_rows)
        wall = ours_row.measures[-1].wall
        print(f"\nPer submission (last run's gradebook: {len(subs_rows)} rows, {graded} graded): sum {sum(secs):.1f} s, "
              f"median {statistics.median(secs):.2f} s, min {min(secs):.2f} s, max {max(secs):.2f} s; sum / batch wall "
              f"{sum(secs) / wall:.2f} (notebooks in flight on average).")
        phases: dict[str, list[float]] = {}
        for r in subs_rows:
            timings = json.loads(r[5]).get("timings") if r[5] else None
            for k, v in (timings or {}).items():
                phases.setdefault(k, []).append(v)
        if phases:
            print("Median phase per submission (the grader's own timings): "
                  + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in phases.items()) + ".")
        if one.measures:
            print(f"{n} × `grade` alone ({one.med():.2f} s each) = {n * one.med():.0f} s, vs the batch's "
                  f"{ours_row.med():.0f} s: the batch is {n * one.med() / ours_row.med():.2f}× faster.")
        by_source: dict[str, set[str]] = {}
        for (_, outcome, score, mx, *_), src in zip(subs_rows, sources):
            by_source.setdefault(src, set()).add(f"{score:g}/{mx:g}" if outcome == "graded" else outcome)
        print("Scores by source notebook: " + "; ".join(f"{k} {', '.join(sorted(v))}" for k, v in by_source.items()))

    if peers:
        print(f"\n## The peers' 20 notebooks (../shared/peers-bench), {args.runs} run(s), median\n")
        print(table(peer_rows))
        print("\nMemory and load:\n")
        print(memory_table(peer_rows))
        print("\nVersions: " + ", ".join(f"{d} {peers.version(v, d)}" for v, d in
                                         (("nbgrader", "nbgrader"), ("otter", "otter-grader"), ("floor", "nbclient"),
                                          ("floor", "torch")) if not peers.problem[v]))
        print("Scores (6 points):")
        if "peers-ours" in outs and (outs["peers-ours"] / "gradebook.sqlite").exists():
            rows_, qs = gradebook(outs["peers-ours"])
            ours_scores = {r[0]: r[2] for r in rows_ if r[1] == "graded"}
            lost = {s: {q for q, (sc, mx) in d.items() if sc < mx} for s, d in qs.items()}
            lost = {s: v for s, v in lost.items() if v}
            print(f"- grade batch: {fmt_scores(ours_scores, 6)}; questions losing points "
                  f"{'match' if lost == PEERS_LOSSES else 'DIFFER from'} nbgrader's failing tests "
                  f"({', '.join(f'{s}: {sorted(v)}' for s, v in sorted(lost.items()))})")
        for tool, get in (("nbgrader", peers.nbgrader_scores), ("otter", peers.otter_scores)):
            if not peers.problem[tool]:
                try:
                    print(f"- {tool}: {fmt_scores(get(), 6)}")
                except Exception as e:  # noqa: BLE001
                    print(f"- {tool}: could not read scores ({type(e).__name__}: {e})")
            else:
                print(f"- {tool}: not run ({peers.problem[tool]})")

    print(f"\nload average at end (1, 5, 15 min): {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
          f"highest 1-min load seen after a row: {peak_load:.2f} (our own rows keep about {WORKERS} busy)")
    print(f"finished {datetime.datetime.now():%H:%M} ({(datetime.datetime.now() - started).total_seconds() / 60:.1f} min)")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
