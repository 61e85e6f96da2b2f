"""Find submissions: a folder of notebooks, a folder of per-student folders, or an LMS/Gradescope zip.

Intake never trusts the export. Anything wrong with one entry is a record, not an exception: what
`find_submissions` returns is the list of good submissions, with `.rejected` (students that are
recorded as not graded, with the reason) and `.ignored` (entries left out that cost no student a
grade: a zip-slip path, or a symbolic link next to the student's real notebook).

Limits, each a keyword parameter of `find_submissions` with these module defaults:

- `MAX_NOTEBOOK_BYTES` (100 MiB): one notebook, on disk or unpacked from a zip (the zip's
  header is checked first, then the bytes actually unpacked, which are never trusted to match it).
- `MAX_UNPACKED_BYTES` (1 GiB): everything unpacked from the zips of one call, counted while
  streaming; notebooks are unpacked smallest first, so a zip bomb cannot crowd out the class.
- `MAX_NOTEBOOKS_PER_STUDENT` (100): notebooks found for one student (their folder, or what
  `student_pattern` assigns them). A student over it is not graded (and nothing of theirs is
  unpacked); everyone else is.

Also: symbolic links are never followed and never graded (a link to outside the batch folder says
so in the reason); a symbolic-link zip member is never unpacked as a link or as a notebook; a path
that appears twice in a zip is ambiguous and not graded; bzip2/LZMA members (whose decompression
cannot be bounded) are refused; notebooks are unpacked under names made by `safe_file_stem`, so
no member name (250 characters, a file and a folder of one name, `..`) can break unpacking.

`safe_file_stem(student)` is the file name stem for anything written per student (feedback,
results): the student id itself stays the gradebook key.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from grader.errors import GraderInputError
from grader.files import create_temp
from grader.grading.choose import Found, Passed, choose_notebook
from grader.spec.models import Assignment

MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_NOTEBOOKS_PER_STUDENT = 100
MAX_ZIP_MEMBER = MAX_NOTEBOOK_BYTES  # the earlier name
MAX_STEM_BYTES = 100

_CHUNK = 1024 * 1024
_SKIP_DIRS = {".ipynb_checkpoints", "__MACOSX"}


@dataclass(frozen=True)
class Submission:
    """The notebook graded for `student`. `warnings`: what intake has to say about it (several
    notebooks were handed in: which one was graded and why), added to the student's result."""
    student: str
    path: Path
    content_hash: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """An entry that is not graded: `student` (the gradebook key), where it was, and why."""
    student: str
    path: str
    reason: str


class Submissions(list):
    """The good submissions (a list of Submission, sorted by student), plus what was left out."""

    def __init__(self, items: Iterable[Submission] = (), rejected: Iterable[Rejected] = (),
                 ignored: Iterable[Rejected] = ()) -> None:
        super().__init__(items)
        self.rejected: list[Rejected] = list(rejected)
        self.ignored: list[Rejected] = list(ignored)


# --- file names ------------------------------------------------------------------------------

_PORTABLE = re.compile(r"[a-z0-9_][a-z0-9._-]*")
_LOOKS_SUFFIXED = re.compile(r"-[0-9a-f]{10}$")
_WINDOWS_UNSAFE = set('/\\:*?"<>|')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_file_stem(student: str) -> str:
    """A file name stem for `student` that is safe on any filesystem: at most 100 bytes of UTF-8, no
    path separators, control or invisible characters, no leading dot or dash, no trailing dot or
    space, no Windows device name. A name already made only of a-z 0-9 _ . - (not leading) is kept
    as it is; any other (changed, shortened, or with capitals, which would meet their lower-case twin
    on a case-insensitive filesystem) gets `-` and 10 hex digits of its SHA-256, so two students
    never share a file."""
    if (_PORTABLE.fullmatch(student) and len(student) <= MAX_STEM_BYTES and not student.endswith(".")
            and not _LOOKS_SUFFIXED.search(student) and student.split(".")[0] not in _RESERVED):
        return student
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    body = "".join("_" if c in _WINDOWS_UNSAFE or unicodedata.category(c)[0] in "CZ" else c
                   for c in unicodedata.normalize("NFC", student))
    body = body.lstrip("._-").rstrip(". ")
    if body.split(".")[0].lower() in _RESERVED:  # CON.txt is the console on Windows, whatever follows
        body = "_" + body
    budget = MAX_STEM_BYTES - len(digest) - 1
    body = body.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
    return f"{body or 'student'}-{digest}"


def _dir_name(name: str) -> str:
    """A folder's safe name, never ending in .ipynb or .py (so it cannot meet a submission of that name)."""
    stem = safe_file_stem(name)
    return stem if not stem.endswith((".ipynb", ".py")) else safe_file_stem(name + "/")


def _shown(name: str) -> str:
    """A path or name from the filesystem as text that can be stored and printed: bytes that are not
    UTF-8 (which Python carries as lone surrogates) become \\xNN."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


# --- candidates -------------------------------------------------------------------------------


@dataclass
class _Candidate:
    key: str                # the default student id: top folder, else the notebook's stem
    rel: str                # path under the input, '/'-separated (what student_pattern sees)
    shown: str              # where it is, for the gradebook
    mtime: float
    size: int               # on disk, or as the zip's header declares
    order: int
    file: Path | None = None
    zip: _Zip | None = None
    info: zipfile.ZipInfo | None = None
    student: str = ""


@dataclass
class _Zip:
    path: Path
    archive: zipfile.ZipFile
    out: Path


@dataclass
class _Intake:
    pattern: re.Pattern[str] | None
    max_notebook_bytes: int
    max_unpacked_bytes: int
    unpacked: int = 0  # bytes written so far
    candidates: list[_Candidate] = field(default_factory=list)
    notes: dict[str, list[Rejected]] = field(default_factory=dict)  # per student: entries left out
    ignored: list[Rejected] = field(default_factory=list)

    def student(self, key: str, rel: str) -> str:
        if self.pattern is not None:
            m = self.pattern.search(rel)
            if m:
                value = m.group("student") if "student" in self.pattern.groupindex else m.group(1 if m.groups() else 0)
                if value:
                    return value
        return key

    def note(self, key: str | None, rel: str, shown: str, reason: str) -> None:
        if key is None:
            self.ignored.append(Rejected(rel, shown, reason))
            return
        student = self.student(key, rel)
        self.notes.setdefault(student, []).append(Rejected(student, shown, reason))

    def add(self, c: _Candidate) -> None:
        c.order = len(self.candidates)
        c.student = self.student(c.key, c.rel)
        self.candidates.append(c)


def _key(parts: tuple[str, ...], folder: bool = False) -> str:
    return parts[0] if len(parts) > 1 or folder else PurePosixPath(parts[0]).stem


NOTEBOOK, SCRIPT = ".ipynb", ".py"


def _kind(name: str) -> str | None:
    """`.ipynb` or `.py` when `name` may be a submission (a notebook, or a script handed in as one), else None."""
    if name.startswith("._"):
        return None
    for suffix in (NOTEBOOK, SCRIPT):
        if name.endswith(suffix) and name != suffix:
            return suffix
    return None


def _is_notebook(name: str) -> bool:
    return _kind(name) is not None


def _stem(rel: str) -> str:
    """`rel` without its `.ipynb` or `.py`."""
    return rel[: -len(_kind(PurePosixPath(rel).name) or "")] if _kind(PurePosixPath(rel).name) else rel


def _scripts_only_without_notebooks(cs: list[_Candidate]) -> list[_Candidate]:
    """A student's `.py` files are their submission only when they handed in no notebook: next to a
    notebook, a `.py` is their own helper module."""
    notebooks = [c for c in cs if _kind(PurePosixPath(c.rel).name) == NOTEBOOK]
    return notebooks or cs


def _walk(root: Path, intake: _Intake) -> None:
    """Every notebook under `root`, never through a symbolic link."""
    try:
        real_root = root.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise GraderInputError(f"{root}: cannot be read ({e})") from None
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            if not parts:
                raise GraderInputError(f"{root}: cannot be read ({e.strerror or e})") from None
            intake.note(_shown(parts[0]), _shown("/".join(parts)), _shown(str(folder)),
                        f"{_shown('/'.join(parts))}/: cannot be read ({e.strerror or e})")
            continue
        for entry in reversed(entries):
            name, here = entry.name, parts + (entry.name,)
            rel, shown, key = _shown("/".join(here)), _shown(entry.path), _shown(_key(here))
            try:
                if entry.is_symlink():
                    folder_link = os.path.isdir(entry.path)
                    if _is_notebook(name) or folder_link:
                        intake.note(_shown(_key(here, folder_link)), rel, shown,
                                    f"{rel}: {_link_problem(Path(entry.path), real_root)}")
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if name not in _SKIP_DIRS:
                        stack.append((Path(entry.path), here))
                    continue
                if not _is_notebook(name):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    intake.note(key, rel, shown, f"{rel}: not a regular file")
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError as e:
                intake.note(key, rel, shown, f"{rel}: cannot be read ({e.strerror or e})")
                continue
            intake.add(_Candidate(key, rel, shown, st.st_mtime, st.st_size, 0, file=Path(entry.path)))


def _link_problem(link: Path, real_root: Path) -> str:
    try:
        target = link.resolve(strict=False)
    except (OSError, RuntimeError):  # a loop
        return "a symbolic link that cannot be resolved; links are not followed"
    if not target.is_relative_to(real_root):
        return "a symbolic link to outside the batch folder; links are not followed"
    return "a symbolic link; links are not followed (submit the file itself)"


_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}


def _list_zip(zip_path: Path, zips: list[_Zip], unpack_to: Path, stack: contextlib.ExitStack,
              intake: _Intake) -> None:
    try:
        archive = stack.enter_context(zipfile.ZipFile(zip_path))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise GraderInputError(f"{zip_path}: not a valid zip file ({e})") from None
    out = unpack_to / _dir_name(zip_path.stem)
    if any(z.out == out for z in zips):  # two zips of one name
        out = unpack_to / _dir_name(f"{zip_path.stem}/{zip_path.resolve()}")
    z = _Zip(zip_path, archive, out)
    zips.append(z)
    by_name: dict[str, list[zipfile.ZipInfo]] = {}
    for info in infos:
        raw = info.filename.replace("\\", "/")  # zips made on Windows
        path = PurePosixPath(raw)
        if info.is_dir() or not path.parts or "__MACOSX" in path.parts or ".ipynb_checkpoints" in path.parts \
                or not _is_notebook(path.name):
            continue
        shown = f"{zip_path}:{info.filename}"
        if raw.startswith("/") or ".." in path.parts or ":" in path.parts[0]:  # zip-slip: nobody's submission
            intake.note(None, info.filename, shown, f"{info.filename}: a path outside the zip's folder; not unpacked")
            continue
        by_name.setdefault(path.as_posix(), []).append(info)
    for rel, same in by_name.items():
        parts = PurePosixPath(rel).parts
        key, shown = _key(parts), f"{zip_path}:{rel}"
        if len(same) > 1:
            intake.note(key, rel, shown, f"{rel}: appears {len(same)} times in the zip, so which one is the "
                                         "submission is ambiguous")
            continue
        info = same[0]
        mode = info.external_attr >> 16
        if (mode & 0o170000) == 0o120000:
            intake.note(key, rel, shown, f"{rel}: a symbolic link in the zip; links are never unpacked")
            continue
        if info.flag_bits & 0x1:
            intake.note(key, rel, shown, f"{rel}: encrypted in the zip; submit it without a password")
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            method = _METHODS.get(info.compress_type, f"compression method {info.compress_type}")
            intake.note(key, rel, shown, f"{rel}: compressed with {method}, which the grader does not unpack; "
                                         "zip it again with the standard method (deflate)")
            continue
        if info.file_size > intake.max_notebook_bytes:
            intake.note(key, rel, shown, _too_big(rel, info.file_size, info.compress_size, intake.max_notebook_bytes))
            continue
        try:
            mtime = time.mktime(info.date_time + (0, 0, -1))
        except (OverflowError, ValueError):
            mtime = 0.0
        intake.add(_Candidate(key, rel, shown, mtime, info.file_size, 0, zip=z, info=info))


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def _too_big(rel: str, size: int, compressed: int, cap: int) -> str:
    bomb = f" from {_mib(compressed)} (a zip bomb)" if size > 100 * max(compressed, 1) else ""
    return f"{rel}: unpacks to {_mib(size)}{bomb}, over the {_mib(cap)} limit for one notebook; not unpacked"


class _Refused(Exception):
    pass


def _unpack(c: _Candidate, intake: _Intake) -> Submission:
    """Stream one zip member to its safe name, counting what actually comes out."""
    assert c.zip is not None and c.info is not None
    parts = PurePosixPath(c.rel).parts
    suffix = _kind(PurePosixPath(c.rel).name) or NOTEBOOK  # read_notebook reads a file by its suffix
    if len(parts) == 1:
        target = c.zip.out / (safe_file_stem(_stem(parts[0])) + suffix)
    else:
        rest = _stem("/".join(parts[1:]))
        target = c.zip.out / _dir_name(parts[0]) / (safe_file_stem(rest) + suffix)
    return _copy(c, target, functools.partial(c.zip.archive.open, c.info), intake)


def _copy(c: _Candidate, target: Path, open_source: Callable[[], IO[bytes]], intake: _Intake) -> Submission:
    """Stream `open_source()` to `target` (atomically), refusing it past either limit whatever its header said."""
    if c.size > intake.max_notebook_bytes:
        raise _Refused(_too_big(c.rel, c.size, c.size, intake.max_notebook_bytes))
    left = intake.max_unpacked_bytes - intake.unpacked
    over_total = _Refused(f"{c.rel}: not unpacked: the notebooks unpack to more than the "
                          f"{_mib(intake.max_unpacked_bytes)} limit in all")
    if c.size > left:
        raise over_total
    h = hashlib.sha256()
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temp(target.parent, ".unpack-")  # follows the umask, as the feedback beside it does
    except OSError as e:
        raise _Refused(f"{c.rel}: cannot be unpacked ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as dst, open_source() as src:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > intake.max_notebook_bytes:
                    lied = " (more than its zip header says: a zip bomb)" if c.zip is not None else ""
                    raise _Refused(f"{c.rel}: unpacks to more than the {_mib(intake.max_notebook_bytes)} limit for "
                                   f"one notebook{lied}; not unpacked")
                if written > left:
                    raise over_total
                h.update(chunk)
                dst.write(chunk)
        os.utime(tmp, (c.mtime, c.mtime))
        os.replace(tmp, target)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, _Refused) or not isinstance(e, Exception):
            raise
        if isinstance(e, OSError):
            raise _Refused(f"{c.rel}: cannot be unpacked ({e.strerror or e})") from None
        # BadZipFile (a bad CRC or header), zlib.error (damaged data), EOFError, NotImplementedError, ...
        raise _Refused(f"{c.rel}: damaged in the zip ({type(e).__name__}: {e})") from None
    intake.unpacked += written
    return Submission(c.student, target, h.hexdigest())


def _hash_file(c: _Candidate, intake: _Intake) -> Submission:
    assert c.file is not None
    if c.size > intake.max_notebook_bytes:
        raise _Refused(f"{c.rel}: {_mib(c.size)}, over the {_mib(intake.max_notebook_bytes)} limit for a notebook; "
                       "clear its outputs and resubmit")
    h = hashlib.sha256()
    try:
        with open(c.file, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
    except OSError as e:
        raise _Refused(f"{c.rel}: cannot be read ({e.strerror or e})") from None
    return Submission(c.student, c.file, h.hexdigest())


def _summary(notes: list[Rejected]) -> str:
    reasons = list(dict.fromkeys(n.reason for n in notes))
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return "; ".join(reasons[:3]) + more


def _unpack_order(c: _Candidate) -> tuple[bool, int, int]:
    return c.zip is not None, c.size, c.order


def _materialise(c: _Candidate, intake: _Intake, unpack_to: Path) -> Submission:
    """The candidate as a file the grader may read (unpacked, or copied under a safe name), with its hash."""
    if c.zip is not None:
        return _unpack(c, intake)
    if c.file is not None and _shown(str(c.file)) != str(c.file):  # not UTF-8: a copy, named safely
        target = unpack_to / ".not-utf8" / (safe_file_stem(_stem(c.rel)) + (_kind(PurePosixPath(c.rel).name) or NOTEBOOK))
        return _copy(c, target, functools.partial(open, c.file, "rb"), intake)
    return _hash_file(c, intake)


def _inside(c: _Candidate) -> str:
    """The notebook's name as the student knows it: its path inside their folder (or the file name)."""
    parts = PurePosixPath(c.rel).parts
    return "/".join(parts[1:]) if len(parts) > 1 else parts[0]


def _choose(mine: list[tuple[_Candidate, Submission]], bad: list[tuple[_Candidate, str]],
            assignment: Assignment | None) -> Submission:
    """Several notebooks for one student: the one they most plausibly meant (grading/choose.py), with
    a warning naming the others. The warning is part of the content hash, so a notebook added or
    removed beside an unchanged one is graded again (and its feedback says so). The others' unpacked
    copies are removed (their bytes still count towards the limit in all)."""
    subs = {s.path: s for _, s in mine}
    choice = choose_notebook([Found(s.path, _inside(c), c.mtime) for c, s in mine], assignment,
                             [Passed(_inside(c), why.removeprefix(c.rel + ": ")) for c, why in bad])
    s = subs[choice.chosen.path]
    for c, other in mine:
        if other is not s and other.path != c.file:  # our copy of a notebook not graded: not left lying around
            other.path.unlink(missing_ok=True)
    warning = choice.warning or ""
    digest = hashlib.sha256(f"{s.content_hash}\0{warning}".encode("utf-8", "surrogatepass")).hexdigest()
    return Submission(s.student, s.path, digest, (warning,) if warning else ())


def find_submissions(paths: list[str], *, unpack_to: Path, student_pattern: str | None = None,
                     max_notebook_bytes: int = MAX_NOTEBOOK_BYTES, max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
                     max_notebooks_per_student: int = MAX_NOTEBOOKS_PER_STUDENT,
                     assignment: Assignment | None = None) -> Submissions:
    """One submission per student. The student id is the notebook's file name in a flat folder, else its
    top-level folder's name (one folder per student); `student_pattern` (a regex, group `student`, applied
    to the notebook's path under PATH) overrides where it matches. `.ipynb` files are submissions, and
    `.py` scripts of a student who handed in no notebook; a `.py` beside a notebook is the student's own
    helper module. Several notebooks for one student: the
    one they most plausibly meant is graded (one that parses, whose metadata or content names `assignment`,
    then the newest; see `choose_notebook`) and its `warnings` name the others. Returns the good
    submissions, with `.rejected` and `.ignored` (see the module's docstring); raises GraderInputError
    only for unusable PATHs or a bad pattern."""
    try:
        pattern = re.compile(student_pattern) if student_pattern else None
    except re.error as e:
        raise GraderInputError(f"--student-pattern {student_pattern!r}: not a valid regular expression ({e})") from None
    intake = _Intake(pattern, max_notebook_bytes, max_unpacked_bytes)
    zips: list[_Zip] = []
    with contextlib.ExitStack() as stack:
        for ref in paths:
            p = Path(ref)
            if not p.exists():
                raise GraderInputError(f"{ref}: no such file or folder")
            if p.is_file() and p.suffix.lower() == ".zip":
                _list_zip(p, zips, unpack_to, stack, intake)
            elif p.is_file():
                if _kind(p.name) is None:
                    raise GraderInputError(f"{ref}: expected a folder, a .zip, a .ipynb notebook or a .py script")
                st = p.stat()
                intake.add(_Candidate(_shown(p.stem), _shown(p.name), _shown(str(p)), st.st_mtime, st.st_size, 0,
                                      file=p))
            elif p.is_dir():
                _walk(p, intake)
            else:
                raise GraderInputError(f"{ref}: expected a folder, a .zip, a .ipynb notebook or a .py script")

        by_student: dict[str, list[_Candidate]] = {}
        for c in intake.candidates:
            by_student.setdefault(c.student, []).append(c)
        by_student = {student: _scripts_only_without_notebooks(cs) for student, cs in by_student.items()}
        rejected: dict[str, Rejected] = {}
        first: list[_Candidate] = []   # each student's newest notebook
        extra: list[_Candidate] = []   # their other notebooks, unpacked only with what the class leaves
        for student, cs in by_student.items():
            if len(cs) > max_notebooks_per_student:
                top = PurePosixPath(cs[0].rel).parts
                where = cs[0].shown[: len(cs[0].shown) - len(cs[0].rel)] + top[0] + "/" if len(top) > 1 else cs[0].shown
                rejected[student] = Rejected(student, where, f"{len(cs)} notebooks in the submission, over the limit "
                                                             f"of {max_notebooks_per_student}; none was graded")
                continue
            cs = sorted(cs, key=lambda c: (-c.mtime, c.order))
            first.append(cs[0])
            extra += cs[1:]

        got: dict[str, list[tuple[_Candidate, Submission]]] = {}
        refused: dict[str, list[tuple[_Candidate, str]]] = {}
        # files on disk first, then zip members smallest first: a bomb cannot crowd out the class
        for c in sorted(first, key=_unpack_order) + sorted(extra, key=_unpack_order):
            try:
                got.setdefault(c.student, []).append((c, _materialise(c, intake, unpack_to)))
            except _Refused as e:
                refused.setdefault(c.student, []).append((c, str(e)))

        found: dict[str, Submission] = {}
        for student in by_student:
            if student in rejected:
                continue
            mine, bad = got.get(student, []), refused.get(student, [])
            if not mine:
                rejected[student] = Rejected(student, bad[0][0].shown, _summary([Rejected(student, c.shown, why)
                                                                                  for c, why in bad]))
            elif len(mine) == 1 and not bad:
                found[student] = mine[0][1]
            else:
                found[student] = _choose(mine, bad, assignment)

    ignored = list(intake.ignored)
    for student, notes in intake.notes.items():
        if student in found:
            ignored += notes
        elif student in rejected:
            r = rejected[student]
            rejected[student] = Rejected(student, r.path, _summary([r, *notes]))
        else:
            rejected[student] = Rejected(student, notes[0].path, _summary(notes))
    if not found and not rejected:
        raise GraderInputError(f"no notebooks (.ipynb) or scripts (.py) found in {', '.join(paths)}")
    return Submissions(sorted(found.values(), key=lambda s: s.student),
                       sorted(rejected.values(), key=lambda r: r.student), ignored)
