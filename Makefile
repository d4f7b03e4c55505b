# The two commands a newcomer types: `make book` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROFILE ?= demo

.PHONY: setup sync data run book book-student test test-fast bench timings clean clean-runs help

help:
	@echo "make book      run every chapter (PROFILE=$(PROFILE)) and build book/_build/html"
	@echo "make book-student  the student edition, without solutions (book/_build/student/_build/html)"
	@echo "make test      unit tests + smoke pipeline + strict book build + browser check"
	@echo "make run       run the chapters only        (PROFILE=demo|smoke|paper)"
	@echo "make data      only the data step            (simulate or download)"
	@echo "make bench     throughput benchmarks (results kept in book/_static/bench.md)"
	@echo "make timings   save the last complete run's chapter times as the reference (PROFILE=...)"
	@echo "make sync      pair notebooks/*.py with .ipynb for Jupyter"
	@echo "make clean     remove the built book and executed runs"

# torch/torchvision are installed first, by exact version: these builds lie on the project
# machines' disk; any other version would download gigabytes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

sync: setup
	$(VENV)/bin/jupytext --sync notebooks/[0-9][0-9]_*.py 2>/dev/null || $(VENV)/bin/jupytext --set-formats ipynb,py:percent notebooks/[0-9][0-9]_*.py

data: setup
	$(PY) -m galbias data --profile $(PROFILE)

run: setup
	$(PY) -m galbias run --profile $(PROFILE)

book: setup
	$(PY) -m galbias book --profile $(PROFILE)

book-student: setup
	$(PY) -m galbias book --profile $(PROFILE) --student

test: setup
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not pipeline and not book"

bench: setup
	$(PY) -m galbias bench

timings: setup
	$(PY) -m galbias timings --save $(PROFILE)

clean:
	rm -rf book/_build

clean-runs:
	rm -rf data/runs
