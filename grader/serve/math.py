"""LaTeX → MathML on the server (latex2mathml; no CDN, no JavaScript), through an allow-list.

Student LaTeX reaches the converter, and the converter passes some of it through (`\\text{...}`,
`\\mathrm{...}`, unknown commands as identifiers), so its output is not trusted either: it is parsed
as XML and rebuilt from scratch keeping only MathML presentation elements, a short list of their
attributes with values of a harmless alphabet, and text (escaped again on the way out). Anything else,
an element, an attribute value, a conversion error or an over-long formula, falls back to the LaTeX
shown as plain escaped text: fail closed, never "mostly sanitised".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert
from markupsafe import Markup, escape

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MAX_LATEX = 2000  # characters of one formula; a longer one is shown as text

ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "merror", "mfenced", "semantics",
})
ATTRIBUTES = frozenset({
    "display", "mathvariant", "displaystyle", "scriptlevel", "stretchy", "fence", "separator", "lspace",
    "rspace", "accent", "accentunder", "linethickness", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "width", "height", "depth", "minsize", "maxsize",
    "movablelimits", "notation", "form", "largeop", "symmetric", "open", "close", "separators", "align",
})
_VALUE = re.compile(r"^[A-Za-z0-9 .%#+\-]{0,40}$")  # no quotes, colons, parentheses or slashes: no URLs
# $$...$$, $...$, \(...\), \[...\] (a `\$` is a literal dollar)
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)


class Unsafe(Exception):
    """The converter produced something outside the allow-list."""


def _rebuild(el: ET.Element) -> str:
    tag = el.tag.split("}", 1)[1] if el.tag.startswith("{") else el.tag
    if el.tag.startswith("{") and not el.tag.startswith("{" + MATHML_NS + "}"):
        raise Unsafe(el.tag)
    if tag not in ELEMENTS:
        raise Unsafe(tag)
    attrs = []
    for name, value in el.attrib.items():
        if name not in ATTRIBUTES or not _VALUE.match(value):
            raise Unsafe(f"{tag} {name}")
        attrs.append(f' {name}="{escape(value)}"')
    if tag == "math":
        attrs.insert(0, f' xmlns="{MATHML_NS}"')
    inner = str(escape(el.text or "")) + "".join(_rebuild(child) + str(escape(child.tail or "")) for child in el)
    return f"<{tag}{''.join(attrs)}>{inner}</{tag}>"


def sanitise_mathml(mathml: str) -> Markup:
    """`mathml` rebuilt from the allow-list; raises Unsafe when anything falls outside it."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as e:
        raise Unsafe(str(e)) from None
    if root.tag not in ("math", "{" + MATHML_NS + "}math"):
        raise Unsafe(root.tag)
    return Markup(_rebuild(root))


def latex_to_mathml(latex: str, *, display: bool = False) -> Markup:
    """One formula as sanitised MathML, or the LaTeX as escaped code when it cannot be shown safely."""
    latex = latex.strip()
    if not latex:
        return Markup("")
    if len(latex) <= MAX_LATEX:
        try:
            return sanitise_mathml(convert(latex, display="block" if display else "inline"))
        except Exception:  # noqa: BLE001 - latex2mathml raises many types on odd input; all mean "show it as text"
            pass
    return Markup('<code class="tex">') + escape(latex) + Markup("</code>")


def render_text(text: str) -> Markup:
    """Text with `$…$`, `$$…$$`, `\\(…\\)` and `\\[…\\]` rendered as MathML, the rest escaped (line breaks kept
    by the page's `white-space: pre-wrap`)."""
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(escape(text[last:m.start()]))
        body = next(g for g in m.groups() if g is not None)
        out.append(latex_to_mathml(body, display=m.group(1) is not None or m.group(4) is not None))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
