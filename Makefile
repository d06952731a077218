# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
EGISZ := $(BIN)/egisz
export EGISZ_IDP_PORT ?= 8000
export EGISZ_CABINET_PORT ?= 8001

.PHONY: run test install install-dev lock lint format messages bench-login bench-oidc bench-cabinet browser antivirus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies come from the lock file; the package itself is installed without
# resolving anything again.
$(VENV)/.installed: $(BIN)/python requirements/base.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The demo: the IdP on :8000 and the cabinet on :8001, SQLite files in ./var, demo data in
# both, SMS codes and letters readable at /dev/outbox on each site.
run: install
	EGISZ_DEMO=1 $(EGISZ) idp migrate --no-input
	EGISZ_DEMO=1 $(EGISZ) idp createcachetable
	EGISZ_DEMO=1 $(EGISZ) cabinet migrate --no-input
	EGISZ_DEMO=1 $(EGISZ) cabinet createcachetable
	EGISZ_DEMO=1 $(EGISZ) demo-data
	EGISZ_DEMO=1 $(EGISZ) serve-demo

# Debian's Chromium for the real-browser tests (installed when missing and possible).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is not installed: real-browser tests will be skipped"; fi; }

# ClamAV's daemon for the antivirus tests (installed when missing and possible). The tests
# start their own clamd with a test-only signature: no virus database is downloaded.
antivirus:
	@command -v clamd >/dev/null || test -x /usr/sbin/clamd || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clamav-daemon; \
	  else echo "clamd is not installed: antivirus tests will be skipped"; fi; }

test: install-dev browser antivirus
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	EGISZ_DEMO=1 EGISZ_IDP_DATABASE_URL= $(EGISZ) idp makemigrations --check --dry-run
	EGISZ_DEMO=1 EGISZ_CABINET_DATABASE_URL= $(EGISZ) cabinet makemigrations --check --dry-run
	EGISZ_DEMO=1 $(BIN)/pytest -p no:cacheprovider --ds=egisz.idp.settings tests/common tests/idp
	EGISZ_DEMO=1 $(BIN)/pytest -p no:cacheprovider --ds=egisz.cabinet.settings tests/cabinet
	EGISZ_DEMO=1 $(BIN)/pytest -p no:cacheprovider --ds=egisz.idp.settings tests/e2e

# Full logins per second per core against gunicorn + PostgreSQL, next to Argon2id hashes per
# second on one core (see bench/README.md). Recreates EGISZ_BENCH_DATABASE_URL.
bench-login: install-dev
	$(BIN)/python bench/login.py

# Token-endpoint exchanges (code → tokens with a signed ID token), refresh-token rotations and
# UserInfo requests per second per core against gunicorn + PostgreSQL + Redis (see
# bench/README.md). Recreates EGISZ_BENCH_DATABASE_URL.
bench-oidc: install-dev
	$(BIN)/python bench/oidc.py

# «Главная» and «Личные данные» per second with p50/p95 latency for 50 logged-in patients at
# once (logged in through the cabinet's OpenID Connect login), against the cabinet and the IdP
# on gunicorn + PostgreSQL + Redis (see bench/README.md). Recreates both bench databases.
bench-cabinet: install-dev
	$(BIN)/python bench/cabinet.py

lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/base.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements/dev.txt pyproject.toml

# Refresh the translation catalogues after changing user-visible text, then translate the
# new English entries and compile (the compiled .mo files are committed).
messages: install-dev
	cd src/egisz && EGISZ_DEMO=1 ../../$(EGISZ) idp makemessages -l en -l ru --no-location --no-obsolete
	cd src/egisz && EGISZ_DEMO=1 ../../$(EGISZ) idp compilemessages

lint: install-dev
	$(BIN)/ruff check src tests bench

format: install-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var
