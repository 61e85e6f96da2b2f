"""Where a verb's output goes: stdout or -o FILE (written whole, so a failed run leaves no half file)."""

from __future__ import annotations

import sys
from pathlib import Path

from grader.errors import GraderInputError
from grader.files import write_atomic


def write_output(text: str | bytes, path: str | None) -> None:
    if not path or path == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    if Path(path).is_dir():
        raise GraderInputError(f"-o {path}: is a directory; give a file name")
    write_atomic(path, text)
