"""The resource-limit options every grading verb shares, and their validation in one place.

The four a TA changes most have flags of their own; every other limit the grader applies to a
submission is `--limit NAME=VALUE` (repeatable), named in `TUNABLE` (kernel) and `INTAKE` (what
`grade batch` unpacks). The README's limits table is generated from these (`limits_table`).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.errors import GraderInputError
from grader.kernel.limits import Limits, size_text
from grader.workflows.batch.discover import (
    MAX_NOTEBOOK_BYTES,
    MAX_NOTEBOOKS_PER_STUDENT,
    MAX_UNPACKED_BYTES,
)

GiB = 1024 ** 3
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_size(text: str) -> int:
    """`512M`, `1.5G`, `100MiB`, `4096`: bytes (K, M, G are powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError("expected a size such as 512M or 1G")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _seconds(text: str) -> float:
    return float(text)


@dataclass(frozen=True)
class Tunable:
    field: str                        # Limits' field, or find_submissions' keyword
    parse: Callable[[str], float | int]
    minimum: float                    # the smallest value that still works
    meaning: str
    default: Any
    size: bool = False

    def shown(self) -> str:
        if self.size:
            return size_text(self.default)
        return f"{self.default:,}" if isinstance(self.default, int) else f"{self.default:g}"


_L = Limits()
TUNABLE: dict[str, Tunable] = {
    "startup-timeout": Tunable("startup_timeout", _seconds, 1, "seconds for a kernel to start and run the set-up "
                               "cell", _L.startup_timeout),
    "interrupt-grace": Tunable("interrupt_grace", _seconds, 0.1, "seconds a timed-out cell has to stop after an "
                               "interrupt before its kernel is replaced", _L.interrupt_grace),
    "revivals": Tunable("revivals", int, 0, "fresh kernels after one dies (the cells that did not kill it are "
                        "replayed)", _L.revivals),
    "processes": Tunable("processes", int, 1, "processes and threads the kernel may add (not enforceable for root)",
                         _L.processes),
    "file-size": Tunable("file_size", parse_size, 1024, "largest file the kernel may write", _L.file_size, size=True),
    "tmp": Tunable("tmp", parse_size, 1024 ** 2, "what each of /tmp and /dev/shm may hold in the sandbox "
                   "(counted as memory)", _L.tmp, size=True),
    "output": Tunable("output", int, 1000, "characters of output kept per cell; the rest is dropped with a note",
                      _L.output),
}
INTAKE: dict[str, Tunable] = {  # grade batch only: what it takes from folders and zips
    "notebook-size": Tunable("max_notebook_bytes", parse_size, 1024, "largest notebook, on disk or unpacked from a "
                             "zip (batch)", MAX_NOTEBOOK_BYTES, size=True),
    "unpacked-size": Tunable("max_unpacked_bytes", parse_size, 1024, "all that one batch unpacks from zips "
                             "(batch)", MAX_UNPACKED_BYTES, size=True),
    "notebooks-per-student": Tunable("max_notebooks_per_student", int, 1, "notebooks found for one student; "
                                     "over it the student is not graded (batch)", MAX_NOTEBOOKS_PER_STUDENT),
}


def add_limit_arguments(p: Any) -> list[argparse.Action]:
    """Add the limits to a parser or argument group; return the actions (for the README's table).
    Time limits count the kernel's CPU time, so a loaded machine does not fail a student; each has a
    wall-clock backstop (4x, at least 30 s) for code that sleeps or waits."""
    return [
        p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, metavar="SECONDS",
                       help=f"CPU-time limit per cell (default {Limits.cell_timeout:g})"),
        p.add_argument("--timeout", type=float, default=Limits.timeout, metavar="SECONDS",
                       help=f"CPU-time limit for the whole notebook (default {Limits.timeout:g})"),
        p.add_argument("--probe-timeout", type=float, default=Limits.probe_timeout, metavar="SECONDS",
                       help=f"CPU-time limit for all the grader's calls of one question's functions "
                            f"(default {Limits.probe_timeout:g}); every time limit also has a wall-clock "
                            f"backstop of 4x, at least 30 s"),
        p.add_argument("--memory-limit", type=float, default=Limits.memory / GiB, metavar="GIB",
                       help=f"address-space limit of the student's kernel in GiB "
                            f"(default {Limits.memory / GiB:g}, at least 1)"),
        p.add_argument("--disk-limit", type=float, default=Limits.scratch / GiB, metavar="GIB",
                       help=f"what the kernel's scratch directory may hold, in GiB (default {Limits.scratch / GiB:g}); "
                            f"/tmp and /dev/shm hold {Limits.tmp // 1024 ** 2} MiB each; all of it counts as memory"),
        p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help=f"any other limit (repeatable; the README's limits table has defaults): "
                            f"{', '.join([*TUNABLE, *INTAKE])}"),
        p.add_argument("--no-sandbox", action="store_true",
                       help="do not use bubblewrap even when it is installed (the other limits still apply)"),
    ]


def add_warm_argument(p: Any) -> argparse.Action:
    """`--no-warm`, on the verbs that grade many notebooks in one process (batch, serve): there a warm
    kernel pool pays kernel start and `import torch` once, not per notebook."""
    return p.add_argument("--no-warm", action="store_true",
                          help="start every kernel cold instead of forking it from a warm kernel pool per worker")


def _given(args: argparse.Namespace, names: dict[str, Tunable], *, batch: bool) -> dict[str, float | int]:
    """`--limit NAME=VALUE`s for `names` as keyword arguments, each checked with a one-line error."""
    out: dict[str, float | int] = {}
    for item in args.limit:
        name, sep, value = item.partition("=")
        name = name.strip()
        known = TUNABLE.get(name) or INTAKE.get(name)
        if not sep or known is None:
            raise GraderInputError(f"--limit {item!r}: expected NAME=VALUE with NAME one of "
                                   f"{', '.join([*TUNABLE, *INTAKE])}")
        if name in INTAKE and not batch:
            raise GraderInputError(f"--limit {name}: only grade batch reads submissions from folders and zips")
        if name not in names:
            continue
        try:
            parsed = known.parse(value)
        except ValueError:
            raise GraderInputError(f"--limit {item!r}: {value!r} is not a "
                                   f"{'size such as 512M' if known.size else 'number'}") from None
        if parsed < known.minimum:
            least = size_text(int(known.minimum)) if known.size else f"{known.minimum:g}"
            raise GraderInputError(f"--limit {name} must be at least {least}")
        out[known.field] = parsed
    return out


def limits_from(args: argparse.Namespace, *, batch: bool = False, pooled: bool = False) -> Limits:
    """The Limits the options ask for; `pooled`: the verb has `--no-warm` (add_warm_argument) and
    uses the warm kernel pool unless it is given."""
    if args.cell_timeout <= 0 or args.timeout <= 0:
        raise GraderInputError("--cell-timeout and --timeout must be positive")
    if args.probe_timeout <= 0:
        raise GraderInputError("--probe-timeout must be positive")
    if args.memory_limit < 1:
        raise GraderInputError("--memory-limit must be at least 1 GiB (importing torch needs about 1.5)")
    if args.disk_limit <= 0:
        raise GraderInputError("--disk-limit must be positive")
    base = Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, probe_timeout=args.probe_timeout,
                  memory=int(args.memory_limit * GiB), scratch=int(args.disk_limit * GiB), sandbox=not args.no_sandbox)
    if pooled:
        base = dataclasses.replace(base, warm=not args.no_warm)
    return dataclasses.replace(base, **_given(args, TUNABLE, batch=batch))


def intake_from(args: argparse.Namespace) -> dict[str, float | int]:
    """find_submissions' caps given with --limit (grade batch)."""
    return _given(args, INTAKE, batch=True)


def limits_table() -> str:
    """The README's table of `--limit` names, from `TUNABLE` and `INTAKE` so the two cannot drift."""
    rows = ["| `--limit` NAME | default | what it bounds |", "| --- | --- | --- |"]
    rows += [f"| `{name}` | {t.shown()} | {t.meaning} |" for name, t in {**TUNABLE, **INTAKE}.items()]
    return "\n".join(rows) + "\n"
