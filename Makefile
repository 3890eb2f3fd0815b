# The two commands: `make run` and `make test`. Everything they need is set up here.
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./data
export HOST PORT DATA_DIR

BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test test-postgres test-long test-fast lint bench migrate browser-deps clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

migrate: $(VENV)/.installed-run
	$(PY) manage.py migrate --database default -v 0
	$(PY) manage.py migrate --database index -v 0

run: migrate
	exec $(BIN)/daphne -b $(HOST) -p $(PORT) calendar_p2p.asgi:application

# Debian's Chromium drives the browser tests; install it when missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The pure modules (no Django) are type-checked; the rest is linted.
PURE := events/canonical.py events/entry.py events/verify_pool.py events/worker_pool.py events/ics/split.py events/ics/grouping.py events/sealing.py events/calendars/bodies.py events/calendars/keys.py events/schedule/*.py events/recurrence/*.py events/index/registers.py events/index/expand.py events/occurrences.py sync/protocol.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy --ignore-missing-imports $(PURE)

# Browser tests run in their own pytest process: Playwright's sync API owns an event loop.
# Then the PostgreSQL pass (skipped, saying so, where PostgreSQL and Redis cannot be installed).
test: $(VENV)/.installed-test browser-deps lint
	$(BIN)/pytest -m "not browser and not postgres" --durations=15
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m browser --durations=15; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]
	$(MAKE) test-postgres

# The suite again on a throw-away PostgreSQL cluster and Redis server under
# build/services (.ci/services starts and stops them). Of the `slow` tests with
# real instances, those marked `postgres_too` run again with each instance on
# databases of its own; the others look at SQLite files and ran in the first pass.
test-postgres: $(VENV)/.installed-test
	.ci/services run $(BIN)/pytest -m "not browser and (not slow or postgres or postgres_too)" --durations=15

# The long resilience run: bigger convergence schedules and 20 kills per crash scenario.
test-long: $(VENV)/.installed-test
	$(BIN)/pytest -s --long tests/test_convergence.py tests/test_crash.py

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not browser and not slow and not postgres"

bench: $(VENV)/.installed-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) data
