"""Benchmark the symbolic-answer checker on tests/symbolic_corpus.yaml, side by side with
math-verify and sympy's plain ``parse_latex``.

Part 1, our checker alone: accuracy by expected verdict (exact status) and the time per check
(median, p95, max), then how many final expressions (the LaTeX our checker graded) sympy's
``parse_latex(..., backend="lark")`` can parse at all.

Part 1b, derivations (the corpus's ``derivations``, each labelled with the index of its first
wrong step): how many come out with that first wrong step, how many steps before it (all of a
correct derivation) were marked wrong (target: none) or left undecided, and the time per
derivation (the whole check_answer call, steps included: median, p95, max; target median under
200 ms for up to 10 steps, never past the 2 s cap).

Part 2, one table, one row per contender, on the same corpus. Every contender answers
accept / reject / undecided for each case; a case labelled correct or wrong_form should be
accepted, one labelled wrong, known_mistake, unparsed or no_answer rejected.

  ours                  check_answer(answer markdown, question spec); status correct or
                        wrong_form = accept, undecided = undecided, anything else = reject
  math-verify (answer)  math_verify.verify(parse(gold), parse(answer markdown)), gold =
                        "$" + sympy.latex(expected) + "$" (definitions, aliases, assumptions
                        and conventions are not given: math-verify has no place for them)
  math-verify (final)   the same, the answer being only "$" + our extracted final LaTeX + "$"
  parse_latex           sympy.simplify(parse_latex(final LaTeX, backend="lark") - expected) == 0;
                        an exception (cannot parse, cannot subtract) = reject

The contenders run in turn on each case (interleaved, so they see the same machine load), each
call under ``time_limit(--limit)`` seconds; a timeout counts as undecided. The gold / expected
expression is prepared once per question outside the timed call. A contender whose package is
missing is skipped with a note (pip install -e '.[bench]').

usage: python bench/bench_symbolic.py [--repeat N] [--limit S] [--examples N] [--lark-path DIR] [--derivations]
  --lark-path DIR   a directory holding the `lark` package, if it is not installed
  --derivations     part 1b only
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.symbolic import check_answer
from grader.symbolic.expected import parse_sympy
from grader.symbolic.timer import CheckTimeout, time_limit

GRADED = ("correct", "wrong", "wrong_form", "known_mistake")
ACCEPT = ("correct", "wrong_form")  # labels a contender should accept; every other label: reject


def check(case: dict, q: dict):
    return check_answer(case["answer"], q["expected"], definitions=q.get("definitions"),
                        target=q.get("target"), aliases=q.get("aliases"),
                        assumptions=q.get("assumptions"), conventions=q.get("conventions"),
                        form=q.get("form"), mistakes=q.get("mistakes"), indices=q.get("indices"),
                        vectors=q.get("vectors"))


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


def pct(ms: list[float], p: float) -> float:
    s = sorted(ms)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def report_times(times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(f"time per check: median {statistics.median(ms):.1f} ms, p95 {pct(ms, 0.95):.1f} ms, max {ms[-1]:.1f} ms, "
          f"total {sum(ms) / 1000:.2f} s")


def report_lark(rows: list[dict]) -> None:
    try:
        import lark  # noqa: F401
        from sympy.parsing.latex import parse_latex
    except ImportError:
        print("sympy parse_latex(backend='lark'): not available (pip install lark, or --lark-path DIR)")
        return
    finals = [(r["case"]["question"], r["read"]) for r in rows if r["case"]["verdict"] in GRADED and r["read"]]
    ok = ambiguous = 0
    failed: list[str] = []
    per_question: dict[str, Counter] = defaultdict(Counter)
    for question, latex in finals:
        per_question[question]["n"] += 1
        try:
            with time_limit(5.0):
                parsed = parse_latex(latex, backend="lark")
            ok += 1
            per_question[question]["ok"] += 1
            ambiguous += type(parsed).__name__ == "Tree"  # lark's "_ambig" tree, not a sympy expression
        except CheckTimeout:
            failed.append(latex)
        except Exception:  # noqa: BLE001 - any failure counts as "cannot parse"
            failed.append(latex)
    ours = sum(1 for r in rows if r["case"]["verdict"] in GRADED and r["read"])
    graded = sum(1 for r in rows if r["case"]["verdict"] in GRADED)
    print(f"final expressions of the {graded} gradable answers: ours read {ours}/{graded}; "
          f"sympy parse_latex(backend='lark') parses {ok}/{len(finals)} ({100 * ok / max(1, len(finals)):.0f}%)"
          f", {ambiguous} of them only to an ambiguous lark tree")
    print("  by question: " + ", ".join(f"{q} {c['ok']}/{c['n']}" for q, c in per_question.items()))
    for latex in failed[:8]:
        print(f"  lark cannot parse: {latex[:80]!r}")


def report_derivations(corpus: dict, repeat: int) -> None:
    """Step accuracy and time per derivation on the labelled derivations."""
    n = first_ok = valid_total = valid_wrong = valid_undecided = 0
    steps_max = 0
    times: list[float] = []
    misses: list[str] = []
    for case in corpus.get("derivations", []):
        q = corpus["questions"][case["question"]]
        best, res = None, None
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = check(case, q)
            dt = time.perf_counter() - t0
            best = dt if best is None or dt < best else best
        times.append(best)
        label = case["label"]
        n += 1
        steps_max = max(steps_max, len(res.steps))
        fw = label["first_wrong"]
        valid = res.steps if fw is None else res.steps[:fw]  # the steps a TA marks valid
        valid_total += len(valid)
        valid_wrong += sum(1 for s in valid if s.valid is False)
        valid_undecided += sum(1 for s in valid if s.valid is None)
        if res.first_wrong == fw and res.status == label["status"]:
            first_ok += 1
        else:
            misses.append(f"  miss: [{case['question']}] labelled {label['status']} / first wrong {fw}, got "
                          f"{res.status} / {res.first_wrong}: {case['answer'][:60]!r}")
    if not n:
        return
    ms = sorted(t * 1000 for t in times)
    print(f"derivations: {n} (up to {steps_max} steps), {first_ok} with the labelled status and first wrong step "
          f"({100 * first_ok / n:.1f}%); valid steps marked wrong {valid_wrong}/{valid_total}, "
          f"left undecided {valid_undecided}/{valid_total}")
    print(f"time per derivation: median {statistics.median(ms):.1f} ms, p95 {pct(ms, 0.95):.1f} ms, "
          f"max {ms[-1]:.1f} ms")
    for line in misses:
        print(line)


# ------------------------------------------------------------------ contenders for the table
# A judge gets (case, question spec, our result row, the per-question prepared gold) and returns
# (verdict, what it read) with verdict "accept", "reject" or "undecided".

Judge = Callable[[dict, dict, dict, object], tuple[str, str]]


class Contender:
    def __init__(self, name: str, prepare: Callable[[dict], object], judge: Judge,
                 warm_up: Callable[[], object] = lambda: None) -> None:
        self.name = name
        self.warm_up = warm_up
        self.prepare = prepare  # question spec -> gold, once per question, untimed
        self.judge = judge
        self.gold: dict[str, object] = {}
        self.results: list[dict] = []  # per case: verdict, read, seconds, why (timeout/error)


def ours_contender() -> Contender:
    def judge(case, q, row, gold):
        res = row["res"]
        if res.status == "undecided":
            return "undecided", res.answer_latex or ""
        return ("accept" if res.status in ACCEPT else "reject"), res.answer_latex or ""
    # ours is run first on each case (its extracted LaTeX feeds two other rows); judge reads that run
    return Contender("ours (check_answer)", lambda q: None, judge, lambda: check_answer("$$x$$", "x"))


def math_verify_contenders() -> list[Contender]:
    try:
        import math_verify
    except ImportError:
        print("note: math-verify not installed, its rows are skipped (pip install -e '.[bench]')")
        return []
    import sympy as sp
    # math-verify's own timeouts use signal.alarm, which would cancel our time_limit's itimer: turn them
    # off and let time_limit bound each call. Its warning that timeouts are off is silenced.
    logging.getLogger("math_verify").setLevel(logging.ERROR)

    def prepare(q):
        return math_verify.parse("$" + sp.latex(parse_sympy(q["expected"])) + "$", parsing_timeout=None)

    def verdict(gold, text):
        answer = math_verify.parse(text, parsing_timeout=None) if text else []
        ok = math_verify.verify(gold, answer, timeout_seconds=None)
        return ("accept" if ok else "reject"), (str(answer[0]) if answer else "(nothing extracted)")

    def judge_answer(case, q, row, gold):
        return verdict(gold, case["answer"])

    def judge_final(case, q, row, gold):
        latex = row["res"].answer_latex if row.get("res") else None
        return verdict(gold, f"${latex}$" if latex else "")

    def warm_up():
        math_verify.verify(math_verify.parse("$x$", parsing_timeout=None),
                           math_verify.parse("$\\frac{x}{1}$", parsing_timeout=None), timeout_seconds=None)

    return [Contender("math-verify, whole answer", prepare, judge_answer, warm_up),
            Contender("math-verify, our final LaTeX", prepare, judge_final)]


def parse_latex_contender() -> list[Contender]:
    try:
        import lark  # noqa: F401
        import sympy as sp
        from sympy.parsing.latex import parse_latex
    except ImportError:
        print("note: lark not installed, the parse_latex row is skipped "
              "(pip install -e '.[bench]', or --lark-path DIR)")
        return []

    def judge(case, q, row, expected):
        latex = row["res"].answer_latex if row.get("res") else None
        if not latex:
            return "reject", "(no final LaTeX)"
        try:
            parsed = parse_latex(latex, backend="lark")
        except CheckTimeout:
            raise
        except Exception as exc:  # noqa: BLE001 - cannot parse = reject
            return "reject", f"(cannot parse: {type(exc).__name__})"
        try:
            ok = sp.simplify(parsed - expected) == 0
        except CheckTimeout:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. an ambiguous lark tree, an equation
            return "reject", f"(cannot compare: {type(exc).__name__}) {str(parsed)[:60]}"
        return ("accept" if ok else "reject"), str(parsed)

    return [Contender("sympy parse_latex (lark) + simplify", lambda q: parse_sympy(q["expected"]), judge,
                      lambda: parse_latex("\\frac{x}{2}", backend="lark"))]


def run_table(corpus: dict, contenders: list[Contender], repeat: int, limit: float) -> list[dict]:
    """Run every contender on every case, ours first; return ours' rows (case, status, LaTeX read)."""
    rows = []
    for case in corpus["cases"]:
        q = corpus["questions"][case["question"]]
        row: dict = {"case": case}
        for c in contenders:
            if case["question"] not in c.gold:
                c.gold[case["question"]] = c.prepare(q)
            best, out = None, None
            for _ in range(repeat):
                t0 = time.perf_counter()
                why = ""
                try:
                    with time_limit(limit) as deadline:
                        if c is contenders[0]:
                            row["res"] = check(case, q)
                        got = c.judge(case, q, row, c.gold[case["question"]])
                    if deadline.expired():  # the alarm fired but the contender swallowed it
                        got, why = ("undecided", got[1]), "timeout"
                except CheckTimeout:
                    got, why = ("undecided", ""), "timeout"
                except Exception as exc:  # noqa: BLE001 - a contender's crash is an undecided case
                    got, why = ("undecided", ""), f"error {type(exc).__name__}"
                dt = time.perf_counter() - t0
                if best is None or dt < best:
                    best = dt
                out = (got, why)
            (verdict, read), why = out
            c.results.append({"case": case, "verdict": verdict, "read": read, "s": best, "why": why})
        res = row.get("res")
        rows.append({"case": case, "got": res.status if res else "undecided",
                     "read": res.answer_latex if res else None})
    return rows


def read_kind(read: str) -> str:
    """'(cannot parse: X)' -> 'cannot parse'; an expression that was read -> 'an expression'."""
    for kind in ("cannot parse", "cannot compare", "nothing extracted", "no final LaTeX"):
        if read.startswith("(" + kind):
            return kind
    return "an expression" if read else "nothing"


def report_table(contenders: list[Contender], examples: int) -> None:
    if not contenders:
        return
    n = len(contenders[0].results)
    n_acc = sum(1 for r in contenders[0].results if r["case"]["verdict"] in ACCEPT)
    n_rej = n - n_acc
    print(f"\n{n} cases: {n_acc} should be accepted (correct, wrong_form), {n_rej} rejected "
          "(wrong, known_mistake, unparsed, no_answer)\n")
    print("| contender | accuracy | false accepts | false rejects | undecided / errors | median | p95 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for c in contenders:
        rs = c.results
        ok = sum(1 for r in rs if (r["verdict"] == "accept") == (r["case"]["verdict"] in ACCEPT)
                 and r["verdict"] != "undecided")
        fa = [r for r in rs if r["verdict"] == "accept" and r["case"]["verdict"] not in ACCEPT]
        fr = [r for r in rs if r["verdict"] == "reject" and r["case"]["verdict"] in ACCEPT]
        und = [r for r in rs if r["verdict"] == "undecided"]
        timeouts = sum(1 for r in und if r["why"] == "timeout")
        errors = sum(1 for r in und if r["why"].startswith("error"))
        ms = [r["s"] * 1000 for r in rs]
        und_s = f"{len(und)}" + (f" ({timeouts} timeouts, {errors} errors)" if timeouts or errors else "")
        print(f"| {c.name} | {100 * ok / n:.1f}% ({ok}/{n}) | {len(fa)} ({100 * len(fa) / n_rej:.1f}%) "
              f"| {len(fr)} ({100 * len(fr) / n_acc:.1f}%) | {und_s} | {statistics.median(ms):.1f} ms "
              f"| {pct(ms, 0.95):.1f} ms |")
    for c in contenders:
        rs = c.results
        groups = (("false accept", [r for r in rs if r["verdict"] == "accept" and r["case"]["verdict"] not in ACCEPT]),
                  ("false reject", [r for r in rs if r["verdict"] == "reject" and r["case"]["verdict"] in ACCEPT]),
                  ("undecided", [r for r in rs if r["verdict"] == "undecided"]))
        print(f"\n{c.name}:")
        for label, group in groups:
            if group:
                by_q = Counter(r["case"]["question"] for r in group)
                by_kind = Counter(read_kind(r["read"]) for r in group)
                print(f"  {label}: {len(group)} — by question " + ", ".join(f"{q} {k}" for q, k in by_q.most_common())
                      + "; by what was read " + ", ".join(f"{w} {k}" for w, k in by_kind.most_common()))
            for r in group[:examples]:
                tag = " [xfail]" if r["case"].get("xfail") else ""
                why = f" ({r['why']})" if r["why"] else ""
                print(f"    [{r['case']['question']}] {r['case']['verdict']}{tag}{why}: "
                      f"{r['case']['answer'][:70]!r} -> read {r['read'][:70]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="time each check N times and keep the best")
    ap.add_argument("--limit", type=float, default=5.0, help="time limit per contender per case, seconds")
    ap.add_argument("--examples", type=int, default=6, help="example cases printed per contender and error kind")
    ap.add_argument("--lark-path", help="directory with the lark package (for the comparison only)")
    ap.add_argument("--derivations", action="store_true", help="only the derivations' step accuracy and times")
    args = ap.parse_args()
    if args.lark_path:
        sys.path.append(args.lark_path)
    corpus = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))
    check({"answer": "$$x$$"}, {"expected": "x"})  # imports and caches: not the first derivation's time
    if args.derivations:
        report_derivations(corpus, max(1, args.repeat))
        return 0
    contenders = [ours_contender(), *math_verify_contenders(), *parse_latex_contender()]
    for c in contenders:
        c.warm_up()  # imports, grammars, caches: not the first case's time
    rows = run_table(corpus, contenders, max(1, args.repeat), args.limit)
    report_accuracy(rows)
    report_times([r["s"] for r in contenders[0].results])
    report_derivations(corpus, max(1, args.repeat))
    report_lark(rows)
    report_table(contenders, args.examples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
