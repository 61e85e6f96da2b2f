"""Benchmark the symbolic-answer checker on tests/symbolic_corpus.yaml.

Prints accuracy by expected verdict and the time per check (median, p95, max). For comparison
it also feeds each answer's final expression (the LaTeX our checker graded) to sympy's own
``parse_latex(..., backend="lark")`` and reports how many it can parse at all; that is the
reason the grader has its own parser.

usage: python bench/bench_symbolic.py [--repeat N] [--lark-path DIR]
  --lark-path DIR   a directory holding the `lark` package, if it is not installed
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.symbolic import check_answer  # noqa: E402
from grader.symbolic.timer import CheckTimeout, time_limit  # noqa: E402

GRADED = ("correct", "wrong", "wrong_form", "known_mistake")


def run_corpus(corpus: dict, repeat: int) -> tuple[list[dict], list[float]]:
    rows, times = [], []
    for case in corpus["cases"]:
        q = corpus["questions"][case["question"]]
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = check_answer(case["answer"], q["expected"], definitions=q.get("definitions"),
                               target=q.get("target"), aliases=q.get("aliases"),
                               assumptions=q.get("assumptions"), conventions=q.get("conventions"),
                               form=q.get("form"), mistakes=q.get("mistakes"))
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        times.append(best)
        rows.append({"case": case, "got": res.status, "read": res.answer_latex})
    return rows, times


def report_accuracy(rows: list[dict]) -> None:
    by = defaultdict(Counter)
    misses = []
    for r in rows:
        want = r["case"]["verdict"]
        by[want]["n"] += 1
        if r["got"] == want:
            by[want]["ok"] += 1
        else:
            misses.append(r)
    total = sum(c["n"] for c in by.values())
    ok = sum(c["ok"] for c in by.values())
    print(f"corpus: {total} cases, {ok} verdicts as labelled ({100 * ok / total:.1f}%)")
    for verdict in ("correct", "wrong", "known_mistake", "wrong_form", "unparsed", "no_answer"):
        c = by.get(verdict)
        if c:
            print(f"  {verdict:14s} {c['ok']:4d}/{c['n']:<4d} {100 * c['ok'] / c['n']:6.1f}%")
    for r in misses:
        tag = " (known limitation, xfail)" if r["case"].get("xfail") else ""
        print(f"  miss{tag}: [{r['case']['question']}] labelled {r['case']['verdict']}, got {r['got']}: "
              f"{r['case']['answer'][:70]!r}")


def report_times(times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"time per check: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms, "
          f"total {sum(ms) / 1000:.2f} s")


def report_lark(rows: list[dict]) -> None:
    try:
        from sympy.parsing.latex import parse_latex
        import lark  # noqa: F401
    except ImportError:
        print("sympy parse_latex(backend='lark'): not available (pip install lark, or --lark-path DIR)")
        return
    finals = [(r["case"]["question"], r["read"]) for r in rows if r["case"]["verdict"] in GRADED and r["read"]]
    ok = 0
    failed: list[str] = []
    per_question: dict[str, Counter] = defaultdict(Counter)
    for question, latex in finals:
        per_question[question]["n"] += 1
        try:
            with time_limit(5.0):
                parse_latex(latex, backend="lark")
            ok += 1
            per_question[question]["ok"] += 1
        except CheckTimeout:
            failed.append(latex)
        except Exception:  # noqa: BLE001 - any failure counts as "cannot parse"
            failed.append(latex)
    ours = sum(1 for r in rows if r["case"]["verdict"] in GRADED and r["read"])
    graded = sum(1 for r in rows if r["case"]["verdict"] in GRADED)
    print(f"final expressions of the {graded} gradable answers: ours read {ours}/{graded}; "
          f"sympy parse_latex(backend='lark') parses {ok}/{len(finals)} ({100 * ok / max(1, len(finals)):.0f}%)")
    print("  by question: " + ", ".join(f"{q} {c['ok']}/{c['n']}" for q, c in per_question.items()))
    for latex in failed[:8]:
        print(f"  lark cannot parse: {latex[:80]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="time each check N times and keep the best")
    ap.add_argument("--lark-path", help="directory with the lark package (for the comparison only)")
    args = ap.parse_args()
    if args.lark_path:
        sys.path.append(args.lark_path)
    corpus = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))
    check_answer("$$x$$", "x")  # warm up imports and caches
    rows, times = run_corpus(corpus, max(1, args.repeat))
    report_accuracy(rows)
    report_times(times)
    report_lark(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
