"""Where a verb's output goes: stdout or -o FILE (written whole, so a failed run leaves no half file)."""

from __future__ import annotations

import sys

from grader.cli.options import output_file
from grader.files import write_atomic


def write_output(text: str | bytes, path: str | None, flag: str = "-o") -> None:
    if not path or path == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    output_file(path, flag)
    write_atomic(path, text)
