"""The process pool for symbolic checks: same verdicts as in-process, and a time limit that holds.

Real worker processes throughout. HEAVY makes sympy expand (x+y+z+1)^400 (an unknown function
stops numeric sampling, so simplification gets the case): in the main thread SIGALRM cuts it at
the timeout, but in a plain thread check_answer runs it unbounded (over 30 s when measured).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from grader.symbolic import SymbolicResult, check_answer
from grader.symbolic.pool import SymbolicPool, shared_pool

pytestmark = pytest.mark.xdist_group("symbolic-pool")

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = yaml.safe_load((ROOT / "tests" / "symbolic_corpus.yaml").read_text(encoding="utf-8"))["questions"]
HEAVY = r"$$f'(x) = \operatorname{mystery}(x) (x+y+z+1)^{400}$$"
F_PRIME_OK = r"$$f'(x) = 9x^2 - 4x + 5$$"
GRACE = 0.5
SLACK = 0.75  # scheduling noise on a loaded CI machine


def settings(question: str) -> tuple[str, dict]:
    q = QUESTIONS[question]
    keys = ("definitions", "target", "aliases", "assumptions", "conventions", "form", "mistakes", "indices", "vectors")
    return q["expected"], {k: q[k] for k in keys if k in q}


@pytest.fixture(scope="module")
def pool():
    with SymbolicPool(2, grace=GRACE) as p:
        p.start()  # pay the sympy import before anything is timed
        yield p


@pytest.mark.parametrize("question, answer, verdict", [
    ("sigmoid", r"$$\sigma'(x) = \sigma(x)(1-\sigma(x))$$", "correct"),
    ("sigmoid", r"$$\sigma'(x) = \sigma(x)(1+\sigma(x))$$", "known_mistake"),
    ("sigmoid", r"$$\sigma'(x) = \frac{e^{-x}}{(1+e^{-x})^2}$$", "wrong_form"),
    ("f_prime", r"$$f'(x) = 9x^2 + 4x + 5$$", "wrong"),
    ("bce", r"$$\frac{\partial L}{\partial \hat y} = \frac{\hat y - y}{\hat y(1-\hat y)}$$", "correct"),
])
def test_same_verdict_as_in_process(pool: SymbolicPool, question: str, answer: str, verdict: str) -> None:
    expected, kw = settings(question)
    here = check_answer(answer, expected, **kw)
    there = pool.check_sync(answer, expected, **kw)
    assert isinstance(there, SymbolicResult)
    assert here.status == verdict
    assert there == here


def test_a_heavy_answer_is_cut_off_outside_the_main_thread(pool: SymbolicPool) -> None:
    expected, kw = settings("f_prime")

    def timed(answer: str, timeout: float) -> tuple[SymbolicResult, float, bool]:
        t0 = time.monotonic()
        res = pool.check_sync(answer, expected, timeout=timeout, **kw)
        return res, time.monotonic() - t0, threading.current_thread() is threading.main_thread()

    with ThreadPoolExecutor(1) as threads:
        res, elapsed, in_main = threads.submit(timed, HEAVY, 0.5).result(timeout=30)
        assert not in_main
        assert res.status == "undecided" and res.needs_review and res.equivalent is None, res.feedback
        assert elapsed < 0.5 + GRACE + SLACK
        res, elapsed, _ = threads.submit(timed, F_PRIME_OK, 2.0).result(timeout=30)
        assert res.status == "correct" and elapsed < 1.0


def test_a_worker_that_stops_answering_is_killed_and_replaced() -> None:
    # SIGSTOP stands in for a worker stuck where SIGALRM cannot reach (a long C call):
    # only the parent's backstop can end it
    expected, kw = settings("f_prime")
    with SymbolicPool(1, grace=0.3) as p:
        p.start()
        [stuck] = p.worker_pids()
        os.kill(stuck, signal.SIGSTOP)
        try:
            out: dict = {}

            def call() -> None:
                t0 = time.monotonic()
                out["res"] = p.check_sync(F_PRIME_OK, expected, timeout=0.2, **kw)
                out["elapsed"] = time.monotonic() - t0

            caller = threading.Thread(target=call)
            caller.start()
            caller.join(30)
            res = out["res"]
            assert res.status == "undecided" and res.needs_review and res.equivalent is None
            assert "ran out of time" in res.feedback and "a TA will review it" in res.feedback
            assert 0.2 + 0.3 <= out["elapsed"] < 0.2 + 0.3 + SLACK
            with pytest.raises(ProcessLookupError):
                os.kill(stuck, 0)  # SIGKILLed and reaped
            res = p.check_sync(F_PRIME_OK, expected, **kw)
            assert res.status == "correct", res.feedback
            assert p.worker_pids() and stuck not in p.worker_pids()
        finally:
            with pytest.raises(ProcessLookupError):
                os.kill(stuck, signal.SIGCONT)


def test_the_limit_holds_in_a_dask_worker_thread() -> None:
    distributed = pytest.importorskip("distributed")
    expected, kw = settings("f_prime")
    shared = shared_pool()
    shared.start()

    def task(answer: str, timeout: float) -> tuple[str, bool, float, bool]:
        t0 = time.monotonic()
        res = shared_pool().check_sync(answer, expected, timeout=timeout, **kw)
        in_main = threading.current_thread() is threading.main_thread()
        return res.status, res.needs_review, time.monotonic() - t0, in_main

    try:
        with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                                dashboard_address=None) as client:
            status, review, elapsed, in_main = client.submit(task, HEAVY, 0.05, pure=False).result(timeout=30)
            assert not in_main
            assert status == "undecided" and review
            assert elapsed < 0.05 + shared.grace + SLACK
            status, _, _, _ = client.submit(task, F_PRIME_OK, 2.0, pure=False).result(timeout=30)
            assert status == "correct"
    finally:
        shared.close()
    assert shared_pool() is not shared  # a closed shared pool is replaced on next use
    shared_pool().close()


def test_invalid_author_input_raises_value_error(pool: SymbolicPool) -> None:
    for expected, kw in [("9*x**2 +", {}), ("sigma(x)", {"definitions": {"sigma(x)": "1/(1 +"}})]:
        with pytest.raises(ValueError) as local:
            check_answer("$$x$$", expected, **kw)
        with pytest.raises(ValueError) as remote:
            pool.check_sync("$$x$$", expected, **kw)
        assert str(remote.value) == str(local.value)
    with pytest.raises(ValueError):
        asyncio.run(pool.check("$$x$$", "9*x**2 +"))
    with pytest.raises(TypeError):
        pool.check_sync("$$x$$", "x", definitons={})
    expected, kw = settings("f_prime")
    assert pool.check_sync(F_PRIME_OK, expected, **kw).status == "correct"  # the worker is still in use


def test_a_slow_async_check_does_not_hold_up_a_fast_one(pool: SymbolicPool) -> None:
    expected, kw = settings("f_prime")

    async def timed(answer: str, timeout: float, t0: float) -> tuple[str, float]:
        res = await pool.check(answer, expected, timeout=timeout, **kw)
        return res.status, time.monotonic() - t0

    async def heartbeat(stop: asyncio.Event) -> float:
        worst, last = 0.0, time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            worst, last = max(worst, now - last), now
        return worst

    async def main() -> tuple:
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(stop))
        t0 = time.monotonic()
        slow, fast = await asyncio.gather(timed(HEAVY, 1.5, t0), timed(F_PRIME_OK, 2.0, t0))
        stop.set()
        return slow, fast, await beat

    (slow, t_slow), (fast, t_fast), worst_gap = asyncio.run(main())
    assert fast == "correct" and t_fast < 0.5
    assert slow == "undecided" and 1.4 <= t_slow < 1.5 + GRACE + SLACK
    assert worst_gap < 0.25  # the loop kept running while both checks were out


def test_one_pool_serves_several_event_loops_at_once(pool: SymbolicPool) -> None:
    expected, kw = settings("f_prime")
    out: list[str] = []

    def loop_in_thread() -> None:
        out.append(asyncio.run(pool.check(F_PRIME_OK, expected, **kw)).status)

    threads = [threading.Thread(target=loop_in_thread) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert out == ["correct"] * 4
