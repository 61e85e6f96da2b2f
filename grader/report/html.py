"""Feedback as a web page: the markdown report's content, plus the student's figures next to the
reference figures where a question asked for a plot."""

from __future__ import annotations

import html

from grader.report.registry import register
from grader.results import GradeResult, as_number

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}"
          ".figs{display:flex;gap:1rem;flex-wrap:wrap}.figs figure{margin:0}.figs img{max-width:28rem}"
          "pre{white-space:pre-wrap}")


def _figures(q) -> str:
    figs = (q.details or {}).get("figures")
    if not figs:
        return ""
    parts = ["<div class='figs'>"]
    for png in figs.get("student") or []:
        parts.append(f"<figure><img alt='your figure' src='data:image/png;base64,{png}'>"
                     f"<figcaption>yours (cell {figs.get('cell')})</figcaption></figure>")
    if not figs.get("student"):
        parts.append("<figure><figcaption>no figure was drawn</figcaption></figure>")
    if figs.get("reference"):
        parts.append(f"<figure><img alt='reference figure' src='data:image/png;base64,{figs['reference']}'>"
                     "<figcaption>reference</figcaption></figure>")
    return "".join(parts) + "</div>"


@register("html")
def render_html(result: GradeResult, *, color: bool = False) -> str:
    e = html.escape
    out = [f"<!doctype html><meta charset='utf-8'><title>{e(result.assignment_title)}</title><style>{_STYLE}</style>",
           f"<h1>{e(result.assignment_title)}: {as_number(result.score)} / {as_number(result.max_score)}</h1>",
           "<table><tr><th>question</th><th>score</th><th>status</th></tr>"]
    for q in result.questions:
        out.append(f"<tr><td>{e(q.title or q.id)}</td><td>{as_number(q.score)} / {as_number(q.max_score)}</td>"
                   f"<td>{e(q.status)}</td></tr>")
    out.append("</table>")
    if result.events:
        out.append("<h2>While running your notebook</h2><ul>")
        out += [f"<li>cell {ev.cell_index + 1}: {e(ev.message)}</li>" for ev in result.events]
        out.append("</ul>")
    shown = [q for q in result.questions
             if q.has_advice or (q.details or {}).get("figures")]
    if shown:
        out.append("<h2>Question by question</h2>")
    for q in shown:
        out.append(f"<h3>{e(q.title or q.id)} ({as_number(q.score)} / {as_number(q.max_score)}, {e(q.status)})</h3>")
        if q.has_advice:
            out.append(f"<pre>{e(q.feedback)}</pre>")
        out.append(_figures(q))
    if result.needs_review:
        out.append("<p><em>Some answers could not be checked automatically; a TA will review them.</em></p>")
    return "\n".join(out) + "\n"
