# VENUE: `make run` serves the site, `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test lb test-browser lint format migrate seed worker clean

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

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The load-balancer suite alone (needs nginx, PostgreSQL in DATABASE_URL and REDIS_URL).
lb: setup
	$(BIN)/python -m pytest tests/lb -m lb --no-cov $(PYTEST_ARGS)

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
