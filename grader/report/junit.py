"""JUnit XML, which CI systems (GitHub Actions reporters, GitLab, Jenkins) already display:
one testsuite per notebook, one testcase per question, failures carrying the feedback.

Every attribute and text passes `safe.terminal` (CI systems print these messages to logs and
terminals) and `safe.xml_text`: a control character from a student's exception message would
otherwise make the whole report unreadable XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader import results as R
from grader.report.registry import register
from grader.report.safe import terminal, xml_text
from grader.results import GradeResult, as_number

_SKIPPED = {R.NO_ANSWER, R.NOT_ATTEMPTED}  # nothing to judge yet: not a failure of the code
_ERRORS = {R.ERROR, R.TIMEOUT, R.KERNEL_DIED}


def _x(text: str) -> str:
    return xml_text(terminal(text))


def _element(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, {k: _x(v) for k, v in attrs.items()})


def junit_tree(results: list[GradeResult]) -> ET.Element:
    root = ET.Element("testsuites", name="grader")
    for res in results:
        fails = sum(1 for q in res.questions if q.score < q.max_score and q.status not in _ERRORS | _SKIPPED)
        errs = sum(1 for q in res.questions if q.score < q.max_score and q.status in _ERRORS)
        skips = sum(1 for q in res.questions if q.score < q.max_score and q.status in _SKIPPED)
        suite = _element(root, "testsuite", name=f"{res.assignment}: {res.notebook}", tests=str(len(res.questions)),
                         failures=str(fails), errors=str(errs), skipped=str(skips),
                         time=f"{res.timings.get('total', 0.0):.3f}")
        props = ET.SubElement(suite, "properties")
        _element(props, "property", name="score", value=f"{as_number(res.score)}/{as_number(res.max_score)}")
        for w in res.warnings:
            _element(props, "property", name="warning", value=w)
        for q in res.questions:
            case = _element(suite, "testcase", classname=res.assignment, name=q.id, file=res.notebook)
            if q.score >= q.max_score:
                continue
            message = f"{as_number(q.score)}/{as_number(q.max_score)} points, {q.status}"
            tag = "skipped" if q.status in _SKIPPED else "error" if q.status in _ERRORS else "failure"
            el = _element(case, tag, message=message, type=q.status)
            el.text = _x(q.feedback)
    return root


def junit_xml(results: list[GradeResult]) -> str:
    tree = junit_tree(results)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


@register("junit")
def render_junit(result: GradeResult, *, color: bool = False) -> str:
    return junit_xml([result])
