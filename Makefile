# Two commands do everything on a fresh machine:
#   make run    the CRM on SQLite with demo data, at http://127.0.0.1:$(PORT)
#   make test   the whole test suite, on SQLite and PostgreSQL, browser journeys included

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT  # the web server and the worker both put it in emailed links (config.py BASE_URL)
export FLASK_APP := crm:create_app

.PHONY: run test test-clock install assets lint format chromium migrate bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# Front-end packages come from the npm registry (package-lock.json) and are copied into
# static/vendor, which is not committed.
static/vendor/.copied: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   static/vendor/
	touch $@

assets: static/vendor/.copied

migrate: install
	$(BIN)/flask db upgrade

run: install assets migrate
	$(BIN)/flask crm demo-data
	@echo "Mail is written to instance/mail/ (MAIL_BACKEND=file). Stop with Ctrl+C."
	$(BIN)/flask crm worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for the browser journeys; installed when missing and we may install it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped (sudo apt-get install chromium)"; fi; }

test: install assets chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-clock

# The tests whose outcome depends on today's date (marked `clock`) again, with this process's
# clock moved (time-machine) to awkward moments in the tests' ORG_TIMEZONE, America/New_York:
# late on New Year's Eve (UTC is already in the new year), New Year's night, late on a leap
# day, the first quarter-hour of the fiscal year (July), just after the clocks go forward, the
# repeated hour after they go back, and a Sunday night. On SQLite: the dates are Python's.
CLOCK_MOMENTS ?= 2026-12-31T23:30:00-05:00 2027-01-01T00:30:00-05:00 2028-02-29T23:30:00-05:00 \
	2027-07-01T00:15:00-04:00 2027-03-14T03:30:00-04:00 2027-11-07T01:30:00-05:00 \
	2027-06-06T23:45:00-04:00

test-clock: install
	@for moment in $(CLOCK_MOMENTS); do \
	  echo "== tests marked clock, at $$moment"; \
	  $(BIN)/pytest -q -p no:cacheprovider -m clock -k "not postgresql" --clock=$$moment \
	    || exit 1; \
	done

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
