"""Student-facing sentences: what was read, and why it was (not) accepted.

One or two sentences each; a wrong answer gets a concrete point ("at x = 0.5
your answer gives 0.1966 but the correct value is 0.235") in the student's own
names (ŷ written as y_hat stays y_hat, not the spec's y_pred).
"""

from __future__ import annotations

import re

import sympy as sp

from .equivalence import Verdict
from .rewrite import rename_name

_GREEK_CHARS = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
                "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
                "psi": "ψ", "omega": "ω", "eta": "η", "xi": "ξ", "kappa": "κ", "nu": "ν", "chi": "χ",
                "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
                "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
REVIEW = "a TA will review it"


def one_line(latex: str) -> str:
    """LaTeX as quoted back: one line, no "\\sigma (x)" gaps left by typed Unicode."""
    latex = re.sub(r"(\\[A-Za-z]+) (?=[(_^'])", r"\1", latex)
    return " ".join(latex.split())


def pretty_name(name: str, functions: set[str], defaults: dict[str, sp.Basic]) -> str:
    """sigma -> σ(x) for a function with a usual argument, else the (Greek) name."""
    base = _GREEK_CHARS.get(name, name)
    if name in functions and name in defaults:
        return f"{base}({defaults[name]})"
    return base


def number(v: float | None) -> str:
    if v is None:
        return "undefined"
    v = float(v)
    if abs(v - round(v)) < 1e-12 and abs(v) < 1e12:
        return str(int(round(v)))
    return f"{v:.4g}"


def student_names(raw: sp.Basic, aliases: dict[str, str]) -> dict[str, str]:
    """canonical -> the name the student used (y_pred -> y_hat)."""
    out = {}
    for s in raw.free_symbols:
        new = rename_name(s.name, aliases)
        if new != s.name:
            out[new] = s.name
    return out


def point(label: dict[str, float] | None, names: dict[str, str] | None = None) -> str:
    names = names or {}
    return ", ".join(f"{names.get(k, k)} = {number(v)}" for k, v in (label or {}).items())


def difference(verdict: Verdict, extra: list[str], names: dict[str, str] | None = None) -> str:
    """Why a non-equivalent answer is wrong, at a concrete point when there is one."""
    num = verdict.numeric
    at = point(num.point if num else None, names)
    where = f"at {at} " if at else ""
    head = "It is not equivalent to the expected answer"
    if num is None:
        msg = head + "."
    elif num.reason == "undefined":
        msg = f"{head}: {where}your answer is undefined, but the correct value is {number(num.want)}."
    elif num.reason == "no case":
        msg = f"{head}: {where}none of your cases applies, but the correct value is {number(num.want)}."
    elif num.reason == "shape" and num.shapes:
        msg = f"{head}: {where}your answer is a {num.shapes[0]} matrix, but the answer is {num.shapes[1]}."
    elif num.reason == "convention":
        msg = f"{head}: {where}your answer gives {number(num.got)}."
    else:
        msg = f"{head}: {where}your answer gives {number(num.got)} but the correct value is {number(num.want)}."
    if extra:
        msg += f" It uses {', '.join(extra)}, which the answer should not depend on."
    return msg


def undecided(read: str | None, why: str) -> str:
    start = f"Read your answer as `{read}`, but could not" if read else "Could not"
    return f"{start} decide automatically whether it is correct ({why}); {REVIEW}."


def unparsed(src: str, error: Exception) -> str:
    return f"Could not read the math `{src}`: {error}."


def no_answer(restated: bool, placeholder: bool) -> str:
    if restated:
        return "No answer found: only the quantity asked for was written, with no result after it."
    if placeholder:
        return "No answer found: the answer cell still contains the placeholder text."
    return "No answer found: there is no math in the answer (write the result in LaTeX, e.g. $$ ... $$)."
