"""--color and --quiet on every grading verb, through the real `grade` entry point: `always` colours even a
pipe, `never` never does, `auto` colours a terminal unless NO_COLOR is set; --quiet drops progress, notes
and summaries but never an error."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

ESC = "\x1b["


def _args(verb: str, tmp_path: Path) -> list[str]:
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    (subs / "alice.ipynb").write_bytes(SEED.read_bytes())
    return {"grade": ["grade", str(SEED)],
            "check": ["check", str(SEED)],
            "ci": ["ci", str(SEED), "-a", "derivatives-activations"],
            "batch": ["batch", str(subs), "-a", "derivatives-activations", "-o", str(tmp_path / "graded")]}[verb]


@pytest.mark.notebook
@pytest.mark.parametrize("verb", ["grade", "batch", "check", "ci"])
def test_color_always_colours_a_pipe_and_never_colours_nothing(verb: str, tmp_path: Path) -> None:
    env = {"NO_COLOR": "1"}  # a flag wins over NO_COLOR
    always = run_cli(*_args(verb, tmp_path), "--color", "always", env=env)
    assert always.returncode == 0, always.stderr
    shown = always.stderr if verb == "batch" else always.stdout  # batch reports on stderr
    assert ESC in shown, shown
    never = run_cli(*_args(verb, tmp_path), "--color", "never", *(["--regrade"] if verb == "batch" else []))
    assert never.returncode == 0, never.stderr
    assert "\x1b" not in never.stdout + never.stderr
    assert (never.stderr if verb == "batch" else never.stdout).strip()  # same output, only uncoloured


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout of `grade ARGS`, run with exactly `env`, when it is a terminal (a pseudo-terminal read back)."""
    main, child = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "grader", *args], stdout=child, stderr=subprocess.PIPE,
                                cwd=ROOT, env=env)
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=300)
    finally:
        os.close(main)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode()


@pytest.mark.notebook
def test_color_auto_colours_a_terminal_unless_no_color_is_set() -> None:
    args = ["ci", str(SEED), "-a", "derivatives-activations"]
    base = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm"}
    assert ESC in _on_a_terminal(args, base)
    out = _on_a_terminal(args, base | {"NO_COLOR": "1"})
    assert "pass" in out and "\x1b" not in out
    assert "\x1b" not in run_cli(*args).stdout  # auto, piped: plain


@pytest.mark.notebook
def test_quiet_drops_notes_and_summaries_but_keeps_errors(tmp_path: Path) -> None:
    chatty = run_cli("grade", str(SEED), "-f", "json")
    assert "chosen" in chatty.stderr  # the assignment was matched, and grade says so ...
    quiet = run_cli("grade", str(SEED), "-f", "json", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and '"score": 20' in quiet.stdout  # ... unless --quiet

    ci = run_cli("ci", str(SEED), "-a", "derivatives-activations", "--quiet", "--junit", str(tmp_path / "j.xml"))
    assert ci.returncode == 0 and ci.stdout == "" and ci.stderr == ""
    assert "20" in (tmp_path / "j.xml").read_text()  # the files it was asked for are still written

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(SEED.read_bytes())
    (subs / "bob.ipynb").write_text("{nope")
    out = tmp_path / "graded"
    loud = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out))
    assert loud.returncode == 1
    # the summary says where everything went
    for place in (out / "gradebook.sqlite", out / "grades.csv", f"{out / 'feedback'}/", out / "report.html"):
        assert str(place) in loud.stderr, (place, loud.stderr)
    batch = run_cli("batch", str(subs), "-a", "derivatives-activations", "-o", str(out), "--quiet", "--regrade")
    assert batch.returncode == 1
    [line] = batch.stderr.splitlines()  # no summary, but the submission that could not be graded is named
    assert line.startswith("  not graded: bob:") and "invalid JSON" in line

    broken = tmp_path / "broken.ipynb"
    broken.write_text("{nope")
    for verb in ("grade", "check"):
        err = run_cli(verb, str(broken), "-a", "derivatives-activations", "--quiet")
        assert err.returncode == 2 and err.stderr.startswith("grade: error: ") and "invalid JSON" in err.stderr
