# The two entry points of the README. `make sheet` sets up and builds the cheat sheet into build/;
# `make test` sets up what the tests need (Debian packages when missing, the test and torch extras),
# runs the tests, and checks that the committed build/ is what the sources produce.
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: sheet test setup-test

sheet:
	$(PIP) install -q -e .
	$(PYTHON) -m cheatsheet build

setup-test:
	sh scripts/setup-test.sh
	$(PIP) install -q -e '.[test,torch]'

test: setup-test
	CHEATSHEET_REQUIRE_TORCH=1 $(PYTHON) -m pytest -q
	$(PYTHON) -m cheatsheet build --check
