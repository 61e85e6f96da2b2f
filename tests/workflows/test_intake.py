"""Batch intake survives any export: odd and long student names, hostile zips (collisions, links,
bombs, zip-slip, 10,000 files), links out of the batch folder and pathological JSON each cost one
student a grade, with the reason, never the batch. Fast except the one end-to-end `grade batch`."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import sqlite3
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from conftest import SEED, run_cli

from grader.errors import GraderInputError
from grader.kinds import open_bundle
from grader.notebook.read import check_json_limits, parse_notebook, read_notebook
from grader.workflows.batch.discover import (
    Rejected,
    Submissions,
    find_submissions,
    safe_file_stem,
)
from grader.workflows.batch.gradebook import Gradebook
from grader.workflows.batch.run import Progress, grade_batch_async

NB = SEED.read_bytes()
DEEP = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
BIGINT = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "x": ' + b"1" * 5001 + b"}"
LONG = ("Ada Lovelace_12345_assignsubmission_file_" * 7)[:250]  # a legal folder name, too long for a feedback file
CJK = "名前" * 60  # 120 characters, 360 bytes: longer than any file name may be


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _link_member(zf: zipfile.ZipFile, name: str, target: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16  # S_IFLNK, as `zip --symlinks` stores one
    zf.writestr(info, target)


def _reasons(subs: Submissions) -> dict[str, str]:
    return {r.student: r.reason for r in subs.rejected}


# --- file names ---------------------------------------------------------------------------------

ODD = ["alice", "Alice", "ALICE", "a b", "a_b", "a/b", "a\\b", "a:b", "..", ".", "...", ".hidden", "-rf", "", " ",
       "con", "NUL.txt", "x-0123456789", "a\x00b", "tab\there", "new\nline", "\u202egpj.exe", "é", unicodedata.normalize("NFD", "é"),
       LONG, LONG + "x", CJK, CJK + "x", "a" * 100, "a" * 101, "Jos\udce9"]


def test_safe_file_stem_is_safe_and_never_shared() -> None:
    stems = {name: safe_file_stem(name) for name in ODD}
    for name, stem in stems.items():
        assert 0 < len(stem.encode("utf-8")) <= 100, (name, stem)
        assert not set(stem) & set('/\\:*?"<>|') and stem.isprintable() and " " not in stem, (name, stem)
        assert not stem.startswith((".", "-")) and not stem.endswith((".", " ")), (name, stem)
        assert stem.split(".")[0].lower() not in {"con", "nul", "prn", "aux"}, (name, stem)
        assert safe_file_stem(name) == stem  # the same student always gets the same files
    # no two students share a file, even on a case-insensitive filesystem that also normalises unicode
    folded = {unicodedata.normalize("NFC", s).casefold() for s in stems.values()}
    assert len(folded) == len(ODD)
    assert stems["alice"] == "alice" and stems["a" * 100] == "a" * 100  # a plain name stays as it is
    assert stems[LONG].startswith(LONG.replace(" ", "_")[:80])  # still readable


# --- pathological JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, needle", [
    (DEEP.decode(), "nested too deeply"),
    ("[" * 200_000, "nested too deeply"),
    ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deeply"),
    (BIGINT.decode(), "a number 5001 digits long"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {"a": "\\ud800"}, "cells": []}', "unpaired UTF-16 surrogate"),
    ('{"nbformat": 4, "cells": [' + '"\\"' * 1000, "invalid JSON"),
])
def test_pathological_json_is_one_line(text: str, needle: str) -> None:
    with pytest.raises(GraderInputError) as e:
        parse_notebook(text, "nb.ipynb")
    assert needle in str(e.value) and str(e.value).startswith("nb.ipynb: not a valid notebook: ")
    assert len(str(e.value).splitlines()) == 1


def test_brackets_and_digits_inside_strings_are_fine() -> None:
    nb = json.loads(NB)
    nb["cells"][0]["source"] = ["[" * 10_000, "1" * 10_000, '{"\\"[[[' * 100]
    nb["metadata"]["a"] = "\\ud83d\\ude00 😀"
    parsed = parse_notebook(json.dumps(nb))
    assert parsed.cells[0].source.startswith("[" * 10_000)
    assert check_json_limits("[" * 100 + "]" * 100) is None and check_json_limits("[" * 101) is not None


def test_depth_check_is_cheap() -> None:
    nb = json.loads(NB)
    for i in range(300):  # about 1 MiB, with figures and text outputs, as a notebook that ran
        nb["cells"].append({"cell_type": "code", "execution_count": i, "id": f"c{i}", "metadata": {"tags": ["x"]},
                            "source": ["y = [1, {'a': \"b\"}]\n"] * 5,
                            "outputs": [{"output_type": "display_data", "metadata": {},
                                         "data": {"image/png": "iVBORw0KGgo" * 300, "text/plain": ['<Figure "x">']}}]})
    text = json.dumps(nb, indent=1)
    assert len(text) > 2**20
    t0 = time.perf_counter()
    for _ in range(5):
        assert check_json_limits(text) is None
    assert (time.perf_counter() - t0) / 5 < 0.1
    # hostile text takes linear time too (no regex backtracking blow-up)
    for hostile in ['"' + '\\"' * 2_000_000, "1," * 2_000_000, " " * 4_000_000, ("9" * 999 + ",") * 4000]:
        t0 = time.perf_counter()
        check_json_limits(hostile)
        assert time.perf_counter() - t0 < 2


def test_grade_on_a_deep_notebook_exits_2(tmp_path: Path) -> None:
    for name, data, needle in [("deep.ipynb", DEEP, "nested too deeply"), ("big.ipynb", BIGINT, "5001 digits")]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(GraderInputError, match=needle):
            read_notebook(tmp_path / name)
        proc = run_cli(str(tmp_path / name), "-a", "derivatives-activations")
        assert proc.returncode == 2 and needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# --- zips ---------------------------------------------------------------------------------------


def test_colliding_and_odd_zip_members_are_all_unpacked_or_recorded(tmp_path: Path) -> None:
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ["alice.ipynb", "alice.ipynb/nb.ipynb",       # a file and a folder of one name
                     "Case/nb.ipynb", "case/nb.ipynb", "bob/NB.ipynb", "bob/nb.ipynb",  # case only
                     "a b/nb.ipynb", "a_b/nb.ipynb", ".../nb.ipynb", f"{LONG}/{LONG}.ipynb", f"{CJK}/nb.ipynb",
                     "win\\hw.ipynb", "deep/er/and/deeper/nb.ipynb"]:
            zf.writestr(name, NB)
        zf.writestr("dup/nb.ipynb", NB)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("dup/nb.ipynb", NB)
        _link_member(zf, "linker/nb.ipynb", "/etc/passwd")
        zf.writestr("../escape.ipynb", NB)
        zf.writestr("/abs/nb.ipynb", NB)
        zf.writestr("C:/win/nb.ipynb", NB)
        zf.writestr("__MACOSX/alice/._nb.ipynb", "junk")
        zf.writestr("ok/._nb.ipynb", "junk")
        zf.writestr("ok/nb.ipynb", NB)
        zf.writestr("ok/data.csv", "1,2")
    out = tmp_path / "out"
    subs = find_submissions([str(z)], unpack_to=out)
    graded = {s.student: s for s in subs}
    assert set(graded) == {"alice", "alice.ipynb", "Case", "case", "bob", "a b", "a_b", "...", LONG, CJK, "win", "deep",
                           "ok"}
    assert all(s.path.read_bytes() == NB and s.path.resolve().is_relative_to(out.resolve()) for s in subs)
    assert len({s.path for s in subs}) == len(subs)
    assert len({str(s.path).casefold() for s in subs}) == len(subs)  # also distinct on a case-insensitive disk
    assert _reasons(subs) == {
        "dup": "dup/nb.ipynb: appears 2 times in the zip, so which one is the submission is ambiguous",
        "linker": "linker/nb.ipynb: a symbolic link in the zip; links are never unpacked",
    }
    assert sorted(r.student for r in subs.ignored) == ["../escape.ipynb", "/abs/nb.ipynb", "C:/win/nb.ipynb"]
    assert not (tmp_path / "escape.ipynb").exists()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == len(subs) and not any(p.is_symlink() for p in out.rglob("*"))
    assert all(len(p.name.encode()) <= 106 for p in out.rglob("*"))


def test_a_zip_bomb_is_caught_from_its_header_and_while_streaming(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    _zip(bomb, {"bomb/nb.ipynb": b"\0" * (8 * 2**20), "ok/nb.ipynb": NB})
    assert bomb.stat().st_size < 64 * 1024
    subs = find_submissions([str(bomb)], unpack_to=tmp_path / "u1", max_notebook_bytes=2**20)
    assert [s.student for s in subs] == ["ok"]
    assert re.fullmatch(r"bomb/nb\.ipynb: unpacks to 8 MiB from \d+ KiB \(a zip bomb\), over the 1 MiB limit for one "
                        r"notebook; not unpacked", _reasons(subs)["bomb"])
    assert not (tmp_path / "u1" / "bomb" / "bomb").exists()

    # a header that lies about the size: never more than it declared comes out, and what does is refused
    liar = tmp_path / "liar.zip"
    _zip(liar, {"liar/nb.ipynb": b"\0" * (8 * 2**20), "ok/nb.ipynb": NB})
    data = liar.read_bytes()
    liar.write_bytes(data.replace(struct.pack("<I", 8 * 2**20), struct.pack("<I", 1000)))
    subs = find_submissions([str(liar)], unpack_to=tmp_path / "u2", max_notebook_bytes=2**20)
    assert [s.student for s in subs] == ["ok"]
    assert "damaged in the zip" in _reasons(subs)["liar"]
    assert sum(p.stat().st_size for p in (tmp_path / "u2").rglob("*") if p.is_file()) == len(NB)


def test_the_total_unpacked_size_is_capped_smallest_first(tmp_path: Path) -> None:
    z = _zip(tmp_path / "class.zip", {
        "huge/nb.ipynb": NB + b" " * (3 * len(NB)),
        **{f"s{i}/nb.ipynb": NB + b" " * i for i in range(4)},
    })
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u", max_unpacked_bytes=3 * len(NB) + 100)
    assert [s.student for s in subs] == ["s0", "s1", "s2"]  # the small ones first, the big one does not crowd them out
    reasons = _reasons(subs)
    assert set(reasons) == {"huge", "s3"} and all("limit in all" in r for r in reasons.values())
    assert sum(p.stat().st_size for p in (tmp_path / "u").rglob("*") if p.is_file()) <= 3 * len(NB) + 100


def test_unbounded_compression_methods_are_refused(tmp_path: Path) -> None:
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ok/nb.ipynb", NB)
        zf.writestr("bz/nb.ipynb", NB, compress_type=zipfile.ZIP_BZIP2)
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u")
    assert [s.student for s in subs] == ["ok"] and "compressed with bzip2" in _reasons(subs)["bz"]


def test_one_students_10000_files_cost_only_them(tmp_path: Path) -> None:
    members = {f"spammer/{i}.ipynb": b"{}" for i in range(10_000)}
    z = _zip(tmp_path / "class.zip", {"ok/nb.ipynb": NB, **members, "other/nb.ipynb": NB}, zipfile.ZIP_STORED)
    t0 = time.perf_counter()
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u")
    assert time.perf_counter() - t0 < 10
    assert [s.student for s in subs] == ["ok", "other"]
    assert _reasons(subs) == {"spammer": "10000 notebooks in the submission, over the limit of 100; none was graded"}
    assert subs.rejected[0].path == f"{z}:spammer/"
    assert not (tmp_path / "u" / "class" / "spammer").exists()  # nothing of theirs was unpacked

    folder = tmp_path / "folder"
    (folder / "spammer").mkdir(parents=True)
    (folder / "ok").mkdir()
    (folder / "ok" / "nb.ipynb").write_bytes(NB)
    for i in range(150):
        (folder / "spammer" / f"{i}.ipynb").write_text("{}")
    subs = find_submissions([str(folder)], unpack_to=tmp_path / "u", max_notebooks_per_student=100)
    assert [s.student for s in subs] == ["ok"] and "150 notebooks" in _reasons(subs)["spammer"]


def test_a_broken_zip_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(GraderInputError, match="not a valid zip file"):
        find_submissions([str(bad)], unpack_to=tmp_path / "u")


# --- folders ------------------------------------------------------------------------------------


def test_links_are_never_followed_or_graded(tmp_path: Path) -> None:
    outside = tmp_path / "outside.ipynb"
    outside.write_bytes(NB)
    subs_dir = tmp_path / "subs"
    for student in ["good", "eve", "carol", "dave", "loop"]:
        (subs_dir / student).mkdir(parents=True)
    (subs_dir / "good" / "nb.ipynb").write_bytes(NB)
    (subs_dir / "eve" / "nb.ipynb").symlink_to(outside)                    # a notebook outside the batch
    (subs_dir / "mallory.ipynb").symlink_to("/etc/passwd")
    (subs_dir / "bob").symlink_to(tmp_path)                                # a student folder outside it
    (subs_dir / "carol" / "nb.ipynb").symlink_to(subs_dir / "good" / "nb.ipynb")  # someone else's, inside
    (subs_dir / "dave" / "nb.ipynb").write_bytes(NB)
    (subs_dir / "dave" / "z.ipynb").symlink_to(outside)                    # newer, but a link: dave's own counts
    (subs_dir / "dave" / "work").symlink_to(tmp_path)
    (subs_dir / "loop" / "nb.ipynb").symlink_to(subs_dir / "loop" / "nb.ipynb")
    os.mkfifo(subs_dir / "fifo.ipynb")                                     # reading it would block forever
    subs = find_submissions([str(subs_dir)], unpack_to=tmp_path / "u")
    assert [(s.student, s.path) for s in subs] == [("dave", subs_dir / "dave" / "nb.ipynb"),
                                                    ("good", subs_dir / "good" / "nb.ipynb")]
    reasons = _reasons(subs)
    assert reasons.pop("loop").startswith("loop/nb.ipynb: a symbolic link")  # cannot be resolved (Python < 3.13)
    assert reasons == {
        "bob": "bob: a symbolic link to outside the batch folder; links are not followed",
        "carol": "carol/nb.ipynb: a symbolic link; links are not followed (submit the file itself)",
        "eve": "eve/nb.ipynb: a symbolic link to outside the batch folder; links are not followed",
        "fifo": "fifo.ipynb: not a regular file",
        "mallory": "mallory.ipynb: a symbolic link to outside the batch folder; links are not followed",
    }
    assert sorted(r.path for r in subs.ignored) == [str(subs_dir / "dave" / "work"), str(subs_dir / "dave" / "z.ipynb")]


def test_names_that_are_not_utf8_are_graded_from_a_safe_copy(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    root.mkdir()
    folder = os.fsencode(root) + b"/Jos\xe9"
    os.mkdir(folder)
    with open(folder + b"/nb.ipynb", "wb") as fh:
        fh.write(NB)
    subs = find_submissions([str(root)], unpack_to=tmp_path / "u")
    [s] = subs
    assert s.student == "Jos\\xe9" and s.path.read_bytes() == NB
    str(s.path).encode("utf-8")  # storable and printable, unlike the original path
    book = Gradebook(tmp_path / "gb.sqlite")
    book.record_failure(s.student, str(s.path), s.content_hash, "x", "a", "v", "p", 0.0)  # the id is storable
    book.close()


def test_student_pattern(tmp_path: Path) -> None:
    z = _zip(tmp_path / "gs.zip", {"submission_123/nb.ipynb": NB, "readme_notes/nb.ipynb": NB})
    for bad in ["(", "(?P<student", "[a-"]:
        with pytest.raises(GraderInputError, match="--student-pattern .*not a valid regular expression"):
            find_submissions([str(z)], unpack_to=tmp_path / "u", student_pattern=bad)
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u", student_pattern=r"submission_(?P<student>\d+)/")
    assert [s.student for s in subs] == ["123", "readme_notes"]  # no match: the folder's name, not a path
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u", student_pattern=r"(?P<student>x*)")
    assert [s.student for s in subs] == ["readme_notes", "submission_123"]  # an empty match is no id either

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("batch", str(empty), "-a", "derivatives-activations", "-o", str(tmp_path / "o"), "--student-pattern", "(")
    assert proc.returncode == 2 and "not a valid regular expression" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_plain_lists_still_work_for_grade_batch(tmp_path: Path) -> None:
    """`find_submissions` returns a list (its `.rejected` is what run.py records); a caller's own list,
    or an explicit `rejected=`, works too."""
    subs = find_submissions([str(_zip(tmp_path / "x.zip", {"ok/nb.ipynb": NB}))], unpack_to=tmp_path / "u")
    assert isinstance(subs, list) and subs.rejected == [] and subs.ignored == []
    assert list(subs) == [subs[0]] and subs[0].student == "ok"


# --- run: rejected entries become gradebook records -----------------------------------------------


def test_rejected_entries_are_recorded_as_not_graded(tmp_path: Path) -> None:
    z = tmp_path / "class.zip"
    with zipfile.ZipFile(z, "w") as zf:
        _link_member(zf, "eve/nb.ipynb", "/etc/passwd")
        zf.writestr("spam/a.ipynb", "{}")
        zf.writestr("spam/b.ipynb", "{}")
    subs = find_submissions([str(z)], unpack_to=tmp_path / "u", max_notebooks_per_student=1)
    assert list(subs) == [] and len(subs.rejected) == 2  # nobody to grade is not an error: both are recorded
    book = Gradebook(tmp_path / "out" / "gradebook.sqlite")
    seen: list[Progress] = []
    asyncio.run(grade_batch_async(subs, open_bundle("derivatives-activations"), book, workers=1, on_progress=seen.append))
    rows = {r.student: r for r in book.rows()}
    assert {s: (r.outcome, r.problem) for s, r in rows.items()} == {
        "eve": ("failed", "eve/nb.ipynb: a symbolic link in the zip; links are never unpacked"),
        "spam": ("failed", "2 notebooks in the submission, over the limit of 1; none was graded"),
    }
    assert rows["eve"].path == f"{z}:eve/nb.ipynb"
    assert [(p.student, p.outcome) for p in seen] == [("eve", "failed"), ("spam", "failed")]
    # explicit `rejected=` with a plain list; a rejection never overwrites a student who has a submission
    asyncio.run(grade_batch_async([], open_bundle("derivatives-activations"), book, workers=1,
                                  rejected=[Rejected("zed", "somewhere", "a reason")]))
    assert {r.student: r.problem for r in book.rows()}["zed"] == "a reason"
    book.close()


# --- end to end ---------------------------------------------------------------------------------

@pytest.mark.notebook
def test_grade_batch_on_a_hostile_export(tmp_path: Path) -> None:
    outside = tmp_path / "outside.ipynb"
    outside.write_bytes(NB)  # graded 20/20 if a link to it were followed
    z = tmp_path / "export.zip"
    bomb = b"\0" * (101 * 2**20)  # over the 100 MiB limit for one notebook, about 100 KiB zipped
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{LONG}/submission.ipynb", NB)                       # the one good notebook, under a long name
        zf.writestr("alice.ipynb", b"{not json")                          # a file and a folder of one name
        zf.writestr("alice.ipynb/nb.ipynb", DEEP)
        zf.writestr("dup/nb.ipynb", NB)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("dup/nb.ipynb", NB)
        zf.writestr("Case/nb.ipynb", BIGINT)                              # case-only collision
        zf.writestr("case/nb.ipynb", b"")
        zf.writestr("a b/nb.ipynb", b"{}")                                # collide after sanitising
        zf.writestr("a_b/nb.ipynb", b"[]")
        zf.writestr(".../nb.ipynb", DEEP)
        zf.writestr(f"{CJK}/nb.ipynb", DEEP)
        _link_member(zf, "linker/nb.ipynb", str(outside))
        zf.writestr("bomb/nb.ipynb", bomb)
        for i in range(10_000):
            zf.writestr(f"spammer/{i}.ipynb", b"{}", compress_type=zipfile.ZIP_STORED)
        zf.writestr("../escape.ipynb", NB)
    del bomb
    folder = tmp_path / "more"
    (folder / "eve").mkdir(parents=True)
    (folder / "eve" / "nb.ipynb").symlink_to(outside)
    (folder / "mallory.ipynb").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    proc = run_cli("batch", str(z), str(folder), "-a", "derivatives-activations", "-o", str(out), "-j", "2")
    assert proc.returncode == 1, proc.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        grades = {row["student"]: row for row in csv.DictReader(fh)}
    expected_failures = {
        "alice": "invalid JSON", "alice.ipynb": "nested too deeply", "dup": "appears 2 times",
        "Case": "5001 digits long", "case": "the file is empty", "a b": "not a Jupyter notebook",
        "a_b": "not a Jupyter notebook", "...": "nested too deeply", CJK: "nested too deeply",
        "linker": "a symbolic link in the zip", "bomb": "(a zip bomb)", "spammer": "10000 notebooks",
        "eve": "a symbolic link to outside the batch folder", "mallory": "a symbolic link to outside the batch folder",
    }
    assert set(grades) == {LONG, *expected_failures}
    assert grades[LONG]["score"] == "20" and grades[LONG]["outcome"] == "graded"
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        problems = dict(db.execute("SELECT student, problem FROM submissions WHERE outcome = 'failed'").fetchall())
    for student, needle in expected_failures.items():
        assert grades[student]["outcome"] == "failed", student
        assert needle in problems[student], (student, problems[student])
        assert f"not graded: {student}: " in proc.stderr
        # every student has their own feedback files, with the reason
        md = out / "feedback" / f"{safe_file_stem(student)}.md"
        assert needle in md.read_text(encoding="utf-8"), student
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(feedback) == 2 * len(grades) and all(len(n.encode()) <= 105 for n in feedback)
    assert (out / "feedback" / f"{safe_file_stem(LONG)}.html").exists()
    assert not (tmp_path / "escape.ipynb").exists()
    unpacked = [p for p in (out / "unpacked").rglob("*") if p.is_file()]
    assert len(unpacked) < 20 and not any(p.is_symlink() for p in (out / "unpacked").rglob("*"))

    again = run_cli("batch", str(z), str(folder), "-a", "derivatives-activations", "-o", str(out))
    assert again.returncode == 1 and "0 graded, 1 unchanged, 14 could not be graded" in again.stderr, again.stderr
