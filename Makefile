# Two commands: `make run` (app on the embedded demo data) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | sha256sum | cut -c1-12)
TSTAMP := $(VENV)/.installed-test-$(shell cat requirements.txt requirements-test.txt | sha256sum | cut -c1-12)
DEB_TEST_PACKAGES := poppler-utils qpdf libnss3-tools chromium postgresql
PORT ?= 8501
SIM_PORT ?= 8502
# `make test PYTEST_ARGS='-n 2'`: the suite on two workers (pytest-xdist)
PYTEST_ARGS ?=

.PHONY: run test check demo bench deb clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(TSTAMP): requirements.txt requirements-test.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt -r requirements-test.txt
	touch $@

# the embedded default: on the embedded database, real contracts signed, sealed and measured;
# on a configured database, only the starter templates (no demo contracts, no demo users)
demo: $(STAMP)
	$(PY) -m contracts init-seal
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m flows demo --if-absent; \
	else $(PY) -m contracts template install-starters; fi
	@# demo users (published password) only on the embedded database, never on a configured one
	@if [ -z "$$DATABASE_URL" ]; then COVENANT_DEMO=1 $(PY) -m contracts demo-users; \
	else echo "DATABASE_URL is set: no demo users; create users with python -m contracts add-user"; fi
	@# the demo's help desk: a simulated Zendesk on loopback, pulled every minute by the worker
	@if [ -z "$$DATABASE_URL" ]; then COVENANT_DEMO=1 $(PY) -m flows demo-connection --port $(SIM_PORT); fi

# the app, and beside it the worker (alerts, mail, reminders, audit checkpoints, reports); both stop
# together
run: demo
	@export COVENANT_DEMO=$$([ -z "$$DATABASE_URL" ] && echo 1 || echo 0); \
	sim=""; if [ -z "$$DATABASE_URL" ]; then $(PY) -m flows simulator --port $(SIM_PORT) & sim=$$!; fi; \
	$(PY) -m flows worker & worker=$$!; \
	trap 'kill $$worker $$sim 2>/dev/null' EXIT INT TERM; \
	$(PY) -m streamlit run serve.py --server.address 127.0.0.1 --server.port $(PORT) \
	    --server.headless true --browser.gatherUsageStats false

# Debian packages the tests use (PDF validators, browser); installed only when root and missing.
deb:
	@missing=""; for p in $(DEB_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "not root: tests that need$$missing will skip"; fi; \
	fi

# lint, format and types first (seconds), then the whole suite
check: $(TSTAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m mypy

test: check deb
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(TSTAMP)
	$(PY) bench/run.py
	$(PY) bench/store.py
	$(PY) bench/connector.py
	$(PY) bench/ingest_page.py

clean:
	rm -rf $(VENV) data/store
