"""Map Unicode math typed directly (σ, ŷ, ≤, ², −) to LaTeX the lexer reads.

Students paste from Word/ChatGPT or type on phones; a TA reads σ(x)(1−σ(x))
the same as \\sigma(x)(1-\\sigma(x)), so the grader must too.
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}

_SYMBOLS = {
    "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "⁄": "/", "∕": "/",
    "·": r"\cdot ", "⋅": r"\cdot ", "∙": r"\cdot ", "×": r"\times ", "÷": r"\div ",
    "≤": r"\le ", "≦": r"\le ", "⩽": r"\le ", "≥": r"\ge ", "≧": r"\ge ", "⩾": r"\ge ",
    "≠": r"\ne ", "≈": r"\approx ", "∂": r"\partial ", "∑": r"\sum ", "∏": r"\prod ",
    "√": r"\sqrt ", "∞": r"\infty ", "∈": r"\in ", "∇": r"\nabla ", "⇒": r"\Rightarrow ",
    "→": r"\to ", "′": "'", "″": "''", "’": "'", "‘": "'", "＝": "=", "＋": "+",
    "（": "(", "）": ")", "½": r"\frac{1}{2}", "¼": r"\frac{1}{4}", "¾": r"\frac{3}{4}",
    "ℒ": "L", "𝓛": "L", "ℓ": r"\ell ", "𝟙": r"\mathbb{1}", "\u00a0": " ", "\u2009": " ",
    "\u200b": "", "\u202f": " ", "⁡": "", "✓": " ", "✔": " ", "∎": " ", "□": " ",
    "ℝ": r"\mathbb{R}", "∀": r"\forall ", "⟹": r"\implies ", "⇔": r"\iff ", "≡": r"\equiv ",
    "…": r"\ldots ", "⋯": r"\cdots ",
}

_SUPER = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
          "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+", "ⁿ": "n", "ᵗ": "t", "ⁱ": "i", "ᵀ": "T",
          "ˣ": "x", "ʸ": "y", "ᶻ": "z", "⁽": "(", "⁾": ")", "ᵏ": "k", "ʲ": "j"}
_SUB = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7",
        "₈": "8", "₉": "9", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₜ": "t", "ₙ": "n", "₋": "-"}

_COMBINING = {"\u0302": "hat", "\u0304": "bar", "\u0303": "tilde", "\u0307": "dot", "\u20d7": "vec"}

_SUPER_RE = re.compile("[" + "".join(_SUPER) + "]+")
_SUB_RE = re.compile("[" + "".join(_SUB) + "]+")


def _decompose_accents(text: str) -> str:
    """ŷ (precomposed or y + U+0302) -> \\hat{y}."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if ch in _COMBINING and out:
            base = out.pop()
            out.append(f"\\{_COMBINING[ch]}{{{base}}}")
        elif unicodedata.combining(ch):
            continue
        else:
            out.append(ch)
    return "".join(out)


def normalize_unicode(text: str) -> str:
    """Return ``text`` with Unicode math replaced by equivalent LaTeX."""
    if text.isascii():
        return text
    text = _decompose_accents(text)
    text = _SUPER_RE.sub(lambda m: "^{" + "".join(_SUPER[c] for c in m.group()) + "}", text)
    text = _SUB_RE.sub(lambda m: "_{" + "".join(_SUB[c] for c in m.group()) + "}", text)
    out: list[str] = []
    for ch in text:
        if ch in _GREEK:
            out.append(f"\\{_GREEK[ch]} ")
        elif ch in _SYMBOLS:
            out.append(_SYMBOLS[ch])
        else:
            out.append(ch)
    return "".join(out)
