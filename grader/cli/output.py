"""Where a verb's output goes: stdout or -o FILE (written whole, so a failed run leaves no half file)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..errors import GraderInputError


def write_output(text: str, path: str | None) -> None:
    if not path or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise GraderInputError(f"-o {path}: is a directory; give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, target)
