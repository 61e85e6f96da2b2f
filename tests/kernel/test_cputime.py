"""The CPU time that limits count: every process a cell starts, down the tree, and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from grader.kernel import cputime

# a parent that starts a child which starts a grandchild; the grandchild burns about 1 s of CPU
_TREE = """
import subprocess, sys, time
burn = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 1.0: pass\\ntime.sleep(30)"
child = "import subprocess, sys, time\\nsubprocess.Popen([sys.executable, '-c', %r])\\ntime.sleep(30)" % burn
subprocess.Popen([sys.executable, "-c", child])
time.sleep(30)
"""


def test_a_grandchilds_cpu_counts_for_its_root_and_not_for_an_unrelated_process() -> None:
    root = subprocess.Popen([sys.executable, "-c", _TREE], start_new_session=True)
    other = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time()\n"
                              "while time.process_time() - t < 1.0: pass\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while cputime.tree_cpu_seconds(root.pid) < 1.0 and time.monotonic() < deadline:
            time.sleep(0.1)
        walked = cputime.tree_cpu_seconds(root.pid)
        scanned = cputime._scanned_tree_cpu_seconds(root.pid)
        assert walked >= 1.0, walked  # the grandchild's second, two levels down
        assert abs(walked - scanned) < 0.3, (walked, scanned)  # the walk and the full /proc scan agree
        assert walked < 1.0 + 0.9, walked  # the unrelated process's second is not in it
    finally:
        os.killpg(root.pid, signal.SIGKILL)  # the whole tree: it is its own process group
        other.kill()
        root.wait()
        other.wait()


def test_an_ended_root_costs_nothing() -> None:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert cputime.tree_cpu_seconds(p.pid) == 0.0
