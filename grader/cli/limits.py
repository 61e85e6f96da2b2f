"""The resource-limit options every grading verb shares, and their validation in one place."""

from __future__ import annotations

import argparse
from typing import Any

from grader.errors import GraderInputError
from grader.kernel.limits import Limits

GiB = 1024 ** 3


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
        p.add_argument("--no-sandbox", action="store_true",
                       help="do not use bubblewrap even when it is installed (the other limits still apply)"),
    ]


def limits_from(args: argparse.Namespace) -> Limits:
    if args.cell_timeout <= 0 or args.timeout <= 0:
        raise GraderInputError("--cell-timeout and --timeout must be positive")
    if args.probe_timeout <= 0:
        raise GraderInputError("--probe-timeout must be positive")
    if args.memory_limit < 1:
        raise GraderInputError("--memory-limit must be at least 1 GiB (importing torch needs about 1.5)")
    if args.disk_limit <= 0:
        raise GraderInputError("--disk-limit must be positive")
    return Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, probe_timeout=args.probe_timeout,
                  memory=int(args.memory_limit * GiB), scratch=int(args.disk_limit * GiB), sandbox=not args.no_sandbox)
