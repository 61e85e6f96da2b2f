"""Every limit is configurable: the ones without a flag of their own are `--limit NAME=VALUE`, checked up
front with a one-line error, and they reach what they bound (the kernel, or what batch unpacks)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import SEED, run_cli


@pytest.mark.parametrize("value, needle", [
    ("nosuch=1", "expected NAME=VALUE with NAME one of startup-timeout"),
    ("output", "expected NAME=VALUE"),
    ("output=lots", "'lots' is not a number"),
    ("file-size=huge", "is not a size such as 512M"),
    ("revivals=-1", "--limit revivals must be at least 0"),
    ("notebook-size=1M", "only grade batch reads submissions"),
])
def test_a_bad_limit_is_one_line_before_anything_runs(value: str, needle: str) -> None:
    proc = run_cli("grade", str(SEED), "--limit", value)
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("grade: error: --limit") and needle in line, line


def test_batch_intake_limits_are_configurable(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "graded"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(SEED.read_bytes())  # about 11 KiB
    proc = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "--limit", "notebook-size=4K")
    assert proc.returncode == 1
    assert "alice: alice.ipynb:" in proc.stderr and "over the 4 KiB limit for a notebook" in proc.stderr


@pytest.mark.notebook
def test_a_kernel_limit_reaches_the_kernel(tmp_path: Path) -> None:
    nb = nbformat.read(SEED, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("with open('big.bin', 'wb') as fh:\n    fh.write(b'x' * 200_000)"))
    path = tmp_path / "writes.ipynb"
    nbformat.write(nb, path)
    capped = json.loads(run_cli("grade", str(path), "-f", "json", "--quiet", "--limit", "file-size=64K").stdout)
    assert [e["message"] for e in capped["events"]] == ["OSError: [Errno 27] File too large"]
    assert json.loads(run_cli("grade", str(path), "-f", "json", "--quiet").stdout)["events"] == []
