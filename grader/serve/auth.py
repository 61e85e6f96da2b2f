"""Who is asking: staff and student tokens, browser sessions and CSRF tokens.

A token is a bearer secret: the staff one from GRADER_STAFF_TOKEN (else generated once into
OUTDIR/staff.token, 0600), the students' from the roster CSV (`student`, optional `token`) or generated
into OUTDIR/tokens.csv (0600) and kept there across restarts. A presented token is compared with every
known one by `hmac.compare_digest` (no early exit, so timing says nothing about which or how much
matched). A browser logs in once with its token and then carries a signed session cookie (HttpOnly,
SameSite=Strict) that names the principal, a fingerprint of the token it was made from (a changed
token ends its sessions) and the session's CSRF token, which every form must send back.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from grader.errors import GraderInputError
from grader.files import write_atomic

SESSION_COOKIE = "grade_session"
LOGIN_CSRF_COOKIE = "grade_login_csrf"
SESSION_SECONDS = 12 * 3600
MIN_TOKEN = 16  # characters: a roster's hand-written token shorter than this is refused


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: staff, or one student."""

    role: Literal["staff", "student"]
    student: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def name(self) -> str:
        return "staff" if self.is_staff else str(self.student)


@dataclass(frozen=True)
class Session:
    principal: Principal
    csrf: str


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


class Tokens:
    """The known tokens and who each belongs to."""

    def __init__(self, staff: str, students: dict[str, str]) -> None:
        self.staff = staff
        self.students = dict(students)
        self._all = [(staff, Principal("staff"))] + [(t, Principal("student", s)) for s, t in self.students.items()]

    def identify(self, token: str | None) -> Principal | None:
        """Whose `token` this is, comparing it with every known token in constant time each."""
        if not token:
            return None
        given = token.encode()
        found = None
        for known, who in self._all:
            if hmac.compare_digest(known.encode(), given):
                found = who
        return found

    def fingerprint(self, who: Principal) -> str | None:
        token = self.staff if who.is_staff else self.students.get(str(who.student))
        return _fingerprint(token) if token else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise GraderInputError(f"{path}: cannot read the roster ({e.strerror})") from None
    except UnicodeDecodeError:
        raise GraderInputError(f"{path}: the roster is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if "student" not in (reader.fieldnames or []):
        raise GraderInputError(f"{path}: the roster needs a `student` column (and optionally `token`)")
    return list(reader)


def load_tokens(outdir: Path, roster: Path | None, students: list[str], env: dict[str, str] | None = None
                ) -> tuple[Tokens, list[str]]:
    """The tokens for `grade serve OUTDIR`: staff's, and one per student of the roster, of OUTDIR/tokens.csv
    and of `students` (those already in the gradebook). Returns them and notes to print (what was generated)."""
    env = os.environ if env is None else env
    notes = []
    staff = env.get("GRADER_STAFF_TOKEN", "").strip()
    staff_file = outdir / "staff.token"
    if not staff:
        if staff_file.exists():
            staff = staff_file.read_text().strip()
        if not staff:
            staff = new_token()
            write_atomic(staff_file, staff + "\n", secret=True)
            notes.append(f"staff token generated into {staff_file}")
    if len(staff) < MIN_TOKEN:
        raise GraderInputError(f"the staff token must be at least {MIN_TOKEN} characters")
    tokens_file = outdir / "tokens.csv"
    known: dict[str, str] = {}
    if tokens_file.exists():
        known = {r["student"]: r.get("token") or "" for r in _read_csv(tokens_file) if r.get("student")}
    given: dict[str, str] = {}
    if roster is not None:
        for r in _read_csv(roster):
            student = (r.get("student") or "").strip()
            if not student:
                continue
            token = (r.get("token") or "").strip()
            if token and len(token) < MIN_TOKEN:
                raise GraderInputError(f"{roster}: the token of {student!r} is shorter than {MIN_TOKEN} characters")
            given[student] = token
    for s in students:
        given.setdefault(s, "")
    result: dict[str, str] = {}
    generated = 0
    for student in sorted(set(given) | set(known)):
        token = given.get(student) or known.get(student) or ""
        if not token:
            token, generated = new_token(), generated + 1
        result[student] = token
    seen: dict[str, str] = {}
    for student, token in result.items():
        if token == staff or token in seen:
            raise GraderInputError(f"the token of {student!r} is also {'the staff token' if token == staff else 'the token of ' + repr(seen[token])}")
        seen[token] = student
    if result != known:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["student", "token"])
        w.writerows(sorted(result.items()))
        write_atomic(tokens_file, buf.getvalue(), secret=True)
        if generated:
            notes.append(f"{generated} student token{'s' if generated != 1 else ''} generated into {tokens_file}")
    return Tokens(staff, result), notes


class Sessions:
    """Signed session cookies (the key in OUTDIR/session.key, 0600, so a restart keeps people logged in)."""

    def __init__(self, key_file: Path, tokens: Tokens) -> None:
        if key_file.exists():
            key = key_file.read_text().strip()
        else:
            key = secrets.token_hex(32)
            write_atomic(key_file, key + "\n", secret=True)
        self._signer = URLSafeTimedSerializer(key, salt="grade-serve-session")
        self._tokens = tokens

    def issue(self, who: Principal) -> tuple[str, Session]:
        session = Session(who, secrets.token_urlsafe(24))
        value = self._signer.dumps({"r": who.role, "s": who.student, "f": self._tokens.fingerprint(who),
                                    "c": session.csrf})
        return value, session

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, if its signature, age and token fingerprint hold."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("r") not in ("staff", "student"):
            return None
        who = Principal(data["r"], data.get("s") if data["r"] == "student" else None)
        if who.role == "student" and who.student not in self._tokens.students:
            return None
        current = self._tokens.fingerprint(who)
        if current is None or not hmac.compare_digest(current, str(data.get("f", ""))):
            return None
        return Session(who, str(data.get("c", "")))


def csrf_ok(expected: str, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())
