# Two entry points (see README): `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip
# -c pins torch to the local CPU wheel; anything else would pull a multi-GB CUDA build.
PIP_INSTALL := $(PIP) install --disable-pip-version-check -q -c constraints.txt

.PHONY: setup demo test test-fast bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@# bubblewrap sandboxes the student's kernel; without it grading falls back to weaker isolation (said in reports)
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1; } || \
	  echo "note: bubblewrap not installed (apt-get install bubblewrap); the kernel runs without a sandbox"
	@# chromium runs the browser tests of grade serve (Playwright cannot download its own browser here)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "note: chromium not installed (apt-get install chromium); the browser tests are skipped"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/grade examples/derivatives_activations_solved.ipynb

# Notebook suites run in parallel (pytest-xdist); pytest's exit 5 (no tests ran) fails the target.
test: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not notebook"

# The bench extra holds the symbolic checker's contenders (math-verify, lark).
bench: setup
	$(PIP_INSTALL) -e '.[bench]'
	$(BIN)/python bench/bench_grade.py
	$(BIN)/python bench/bench_symbolic.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
