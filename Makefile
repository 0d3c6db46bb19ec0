# The two entry points of the README. `make sheet` sets up and runs the main job; `make test` sets up
# what the tests need (Debian packages when missing, the test and torch extras) and runs them.
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: sheet test setup-test

sheet:
	$(PIP) install -q -e .
	cheatsheet verify

setup-test:
	sh scripts/setup-test.sh
	$(PIP) install -q -e '.[test,torch]'

test: setup-test
	CHEATSHEET_REQUIRE_TORCH=1 $(PYTHON) -m pytest -q
