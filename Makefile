# The two entry points of the README. `make sheet` sets up and builds the cheat sheet into build/;
# `make test` sets up what the tests need (Debian packages when missing, the test and torch extras),
# runs the tests, and checks that the committed build/ is what the sources produce. Both install the exact
# versions of constraints.txt; `make lock` re-resolves pyproject.toml's ranges into it.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
CONSTRAINTS := constraints.txt
LOCK_VENV := .lock-venv

.PHONY: sheet test setup-test lock

sheet:
	$(PIP) install -q -c $(CONSTRAINTS) -e .
	$(PYTHON) -m cheatsheet build

setup-test:
	sh scripts/setup-test.sh
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[test,torch]'

test: setup-test
	CHEATSHEET_REQUIRE_TORCH=1 $(PYTHON) -m pytest -q
	$(PYTHON) -m cheatsheet build --check

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
