"""Student LaTeX becomes MathML on the server, and nothing but MathML: every hostile input ends as inert
MathML or as escaped text, never as an element or attribute outside the allow-list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from grader.serve.math import ATTRIBUTES, ELEMENTS, latex_to_mathml, render_text

HOSTILE = [
    r"\text{<script>alert(1)</script>}",
    r"\href{javascript:alert(1)}{click}",
    r"\mathrm{x\" onclick=\"alert(1)}",
    r"\style{background:url(javascript:alert(1))}{x}",
    r"\class{x}{y} \unicode{60}script\unicode{62}",
    r"<img src=x onerror=alert(1)>",
    r"\frac{1}{2}</math><script>alert(1)</script>",
    r"\operatorname{<b>bold</b>}",
    r"\color{red}{x}",
    "\\mathbf{" * 50 + "x" + "}" * 50,
]


def _allowed(markup: str) -> None:
    if markup.startswith('<code class="tex">'):
        assert "<" not in markup[len('<code class="tex">'):-len("</code>")]
        return
    root = ET.fromstring(markup)
    for el in root.iter():
        tag = el.tag.split("}")[-1]
        assert tag in ELEMENTS, tag
        for name, value in el.attrib.items():
            assert name in ATTRIBUTES and not re.search(r"[:()\"'<>/]", value), (name, value)


@pytest.mark.parametrize("latex", HOSTILE)
def test_hostile_latex_becomes_inert_mathml_or_text(latex: str) -> None:
    out = str(latex_to_mathml(latex))
    assert "<script" not in out and "<img" not in out
    _allowed(out)


def test_math_in_feedback_is_rendered_and_the_rest_escaped() -> None:
    out = str(render_text("Use $\\sigma(x)(1-\\sigma(x))$ <b>not</b> $$\\frac{1}{x}$$ and a dollar \\$5"))
    assert out.count("<math") == 2 and "<mi>σ</mi>" in out and "<mfrac>" in out
    assert "&lt;b&gt;not&lt;/b&gt;" in out and "<b>" not in out
    assert 'display="block"' in out
