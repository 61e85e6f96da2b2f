"""Find a student's written answer in a notebook, however they rearranged it.

A tagged cell wins. Otherwise the answer is the markdown after the question's prompt (the rest
of the prompt cell after its "Your Solution" marker, then the following markdown cells) up to
the next exercise, heading or other question's prompt. Code cells in between are skipped, so a
scratch cell does not hide an answer; duplicated prompts pick the copy that was answered.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import nbformat

_MARKER = re.compile(r"\*{0,2}\s*your\s+(solution|answer)\s*:?\s*\*{0,2}\s*:?", re.IGNORECASE)
_EXERCISE = re.compile(r"^\s*(\*\*|__)?\s*(exercise|question|task|problem)\s*\d", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^\s*#{1,6}\s", re.MULTILINE)
_MATH = re.compile(r"\$|\\\[|\\begin\{|\\frac|[σ≤≥²]")
# The starter's "YOUR ANSWER HERE", and a hint in brackets after it: "(write your derivation in LaTeX
# math, e.g. $$f'(x) = ...$$)". The hint's example is not the student's answer.
_PLACEHOLDER = re.compile(r"\b(your\s+(answer|solution)\s+(goes\s+)?here)\b\s*[:.\-–—]?\s*", re.IGNORECASE)
_HINT = re.compile(r"e\.\s?g\.|\bfor\s+example\b|\.\.\.|\\[lc]?dots\b|…|^\s*(write|use|enter|type|give|show|derive)\b", re.IGNORECASE)


@dataclass
class AnswerRegion:
    text: str
    cells: list[int]
    how: str  # "tag" | "prompt" | "fuzzy prompt"


def _closing(text: str, start: int) -> int | None:
    """Index just past the bracket that closes the one at `start` (brackets nest), or None."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return None


def without_placeholder_hints(text: str) -> str:
    """`text` with the hint that follows a "YOUR ANSWER HERE" placeholder removed, so an example in
    it (`$$f'(x) = ...$$`) is not read as the answer. The placeholder phrase itself stays: it tells
    the checker the cell was left as the starter had it."""
    out, pos = [], 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() < pos:
            continue
        end = m.end()
        if text.startswith("(", end):
            close = _closing(text, end)
            if close is not None and _HINT.search(text[end + 1:close - 1]):
                end = close
        out += [text[pos:m.start()], m.group(1), " " if end < len(text) else ""]
        pos = end
    return "".join(out) + text[pos:]


def normalise(text: str) -> str:
    text = re.sub(r"[*_`]", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _is_stop(source: str, other_prompts: list[str]) -> bool:
    if _EXERCISE.search(source) or _HEADING.match(source):
        return True
    norm = normalise(source)
    return any(p and p in norm for p in other_prompts)


def _region_after(nb: nbformat.NotebookNode, index: int, prompt: str, other_prompts: list[str]) -> AnswerRegion:
    cell = nb.cells[index]
    parts: list[str] = []
    cells: list[int] = []
    # Text after the marker (or after the prompt sentence) in the prompt cell itself.
    src = cell.source
    m = None
    for m in _MARKER.finditer(src):
        pass
    tail = src[m.end():] if m else ""
    if tail.strip():
        parts.append(tail)
        cells.append(index)
    for j in range(index + 1, len(nb.cells)):
        c = nb.cells[j]
        if c.cell_type == "code":
            continue
        if c.cell_type == "markdown" and _is_stop(c.source, other_prompts):
            break
        parts.append(c.source)
        cells.append(j)
    return AnswerRegion(without_placeholder_hints("\n\n".join(parts)), cells, "prompt")


def _in_section(nb: nbformat.NotebookNode, index: int, section: str) -> bool:
    want = normalise(section)
    for j in range(index, -1, -1):
        c = nb.cells[j]
        if c.cell_type == "markdown":
            for line in c.source.splitlines():
                if line.lstrip().startswith("#"):
                    return want in normalise(line.lstrip("# "))
    return False


def find_answer(
    nb: nbformat.NotebookNode,
    *,
    tag: str | None = None,
    prompt: str | None = None,
    section: str | None = None,
    other_prompts: list[str] | tuple[str, ...] = (),
) -> AnswerRegion | None:
    if tag:
        tagged = [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", []) and c.cell_type != "code"]
        if tagged:
            return AnswerRegion(without_placeholder_hints("\n\n".join(nb.cells[i].source for i in tagged)), tagged, "tag")
    if not prompt:
        return None
    want = normalise(prompt)
    others = [normalise(p) for p in other_prompts if p and normalise(p) != want]
    md = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    hits = [i for i in md if want in normalise(nb.cells[i].source)]
    how = "prompt"
    if not hits:  # retitled or reworded: the closest prompt-like sentence
        scored = []
        for i in md:
            norm = normalise(nb.cells[i].source)
            best = max((difflib.SequenceMatcher(None, want, norm[k:k + len(want)]).ratio()
                        for k in range(0, max(1, len(norm) - len(want) + 1), max(1, len(want) // 4))), default=0.0)
            scored.append((best, i))
        scored = [s for s in scored if s[0] >= 0.8]
        hits = [i for _, i in sorted(scored, reverse=True)[:3]]
        hits.sort()
        how = "fuzzy prompt"
    if section:
        in_sec = [i for i in hits if _in_section(nb, i, section)]
        hits = in_sec or hits
    if not hits:
        return None
    regions = [_region_after(nb, i, prompt, others) for i in hits]
    answered = [r for r in regions if _MATH.search(r.text)]
    region = (answered or [r for r in regions if r.text.strip()] or regions)[-1]
    region.how = how
    return region
