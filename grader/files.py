"""Writing files whole: a crash or a full disk leaves the old file or none, never half of one.

Files are created the way any Unix tool creates them, so they follow the umask (0644 with the
usual 022): other TAs and a web server can read a gradebook's CSV, feedback and report. Only a
secret (`secret=True`) is created 0600.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def create_temp(folder: Path, prefix: str, *, secret: bool = False) -> tuple[int, Path]:
    """A new file in `folder` no one else can have opened: its descriptor and path. Unlike mkstemp
    (always 0600) it is created with the umask applied, unless it is a secret."""
    while True:
        tmp = folder / f"{prefix}{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, _CREATE, 0o600 if secret else 0o666), tmp
        except FileExistsError:
            continue


def write_atomic(path: str | Path, data: str | bytes, *, secret: bool = False) -> None:
    """Write `data` to a temporary file next to `path`, then rename it over `path`.

    Missing folders of the grader's own layout (a batch's `feedback/`) are created; a path a user
    gave should be checked by the caller first (`grader.cli.options.output_file`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = create_temp(target.parent, f".{target.name}.", secret=secret)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
