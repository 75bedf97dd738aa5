# VENUE: `make run` serves the site, `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test test-browser lb bench bench-ws loadtest lint format migrate seed worker clean

# Re-install only when a requirements file changed.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/production.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/production.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

seed: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo

run: seed
	DJANGO_DEBUG=1 $(BIN)/uvicorn venue.asgi:application --host $(HOST) --port $(PORT) --no-access-log --reload \
		--reload-dir apps --reload-dir venue --reload-dir templates

worker: setup
	DJANGO_DEBUG=1 $(BIN)/celery -A venue worker -B --loglevel INFO

# The conformance, browser, LB and fault suites run in a second pytest process beside the rest (see
# tests/support/split_run.py); naming tests in PYTEST_ARGS runs just those.
test: setup
	$(BIN)/python -m tests.support.split_run $(PYTEST_ARGS)

# The load-balancer suite alone (needs nginx, PostgreSQL in DATABASE_URL and REDIS_URL).
lb: setup
	$(BIN)/python -m pytest tests/lb -m lb --no-cov $(PYTEST_ARGS)

# Benchmarks against PostgreSQL and Redis (DATABASE_URL/REDIS_URL, or local defaults):
# the booking bench on one gunicorn, the door check-in bench (bench/checkin.py), the
# showtime cancellation bench (bench/cancel.py), then the nginx topology
# (bench/topology.py; needs nginx).
bench: setup
	$(BIN)/python bench/booking.py $(BENCH_ARGS)
	$(BIN)/python bench/checkin.py $(CHECKIN_BENCH_ARGS)
	$(BIN)/python bench/cancel.py $(CANCEL_BENCH_ARGS)
	$(BIN)/python bench/topology.py $(TOPOLOGY_ARGS)

# Locust scenarios, headless, against the nginx topology; reports in artifacts/loadtest/.
# LOADTEST_SECONDS per scenario (default 20); LOADTEST_ARGS e.g. --scenarios browse,flash
LOADTEST_SECONDS ?= 20
loadtest: setup
	$(BIN)/python loadtests/run.py --seconds $(LOADTEST_SECONDS) $(LOADTEST_ARGS)

# Live seat map: 1,000 WebSocket watchers on two uvicorn processes (needs PostgreSQL and REDIS_URL).
bench-ws: setup
	$(BIN)/python bench/ws.py $(BENCH_ARGS)

# The browser suite alone (Playwright + /usr/bin/chromium; skipped when Chromium is missing).
test-browser: setup
	$(BIN)/python -m pytest tests/browser -m browser --no-cov $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .coverage htmlcov
