# The two entry points of the README. `make sheet` sets up and builds the cheat sheet into build/;
# `make test` sets up what the tests need (Debian packages when missing, the test and torch extras), checks
# lint, format and types, runs every test, and checks that the committed build/ is what the sources produce.
# `make test-fast` is the development loop: lint and types, and the tests not marked slow, on every core
# (pytest-xdist); it installs nothing, so run `make test` or `make setup-test` once before. `make sheet` and
# `make test` install the exact versions of constraints.txt; `make lock` re-resolves pyproject.toml's ranges into it.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
CONSTRAINTS := constraints.txt
LOCK_VENV := .lock-venv

.PHONY: sheet test test-fast lint setup-test lock

sheet:
	$(PIP) install -q -c $(CONSTRAINTS) -e .
	$(PYTHON) -m cheatsheet build

setup-test:
	sh scripts/setup-test.sh
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[test,torch]'

lint:
	$(PYTHON) -m ruff check cheatsheet tests benchmarks
	$(PYTHON) -m ruff format --check cheatsheet tests benchmarks
	$(PYTHON) -m mypy --strict cheatsheet

test: setup-test lint
	CHEATSHEET_REQUIRE_TORCH=1 $(PYTHON) -m pytest -q
	$(PYTHON) -m cheatsheet build --check

test-fast: lint
	$(PYTHON) -m pytest -q -m "not slow" -n auto

# A fresh venv resolves the ranges of pyproject.toml (the test and torch extras included), and its exact
# versions become constraints.txt (pip itself and the editable checkout left out).
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q -e '.[test,torch]'
	sed -n '1,/^# Refresh/p' $(CONSTRAINTS) > $(CONSTRAINTS).new
	$(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | sed 's/+cpu$$//' >> $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)
