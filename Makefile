# Kari: two commands set everything up on a fresh machine.
#   make demo   builds the demo data on SQLite and serves Kari on http://127.0.0.1:8000
#   make test   runs the whole test suite (SQLite, then PostgreSQL when a server answers)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pure packages checked by mypy --strict (config in pyproject.toml).
MYPY_PACKAGES := kari/allocation kari/credentials kari/distribution kari/documents

.PHONY: demo-exams demo-ranking demo test lint venv browser clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	KARI_DEBUG=1 KARI_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend $(BIN)/kari demo --serve

demo-exams: $(STAMP)
	KARI_DEBUG=1 KARI_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend $(BIN)/kari demo --phase exams --serve

browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's Chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

demo-ranking: $(STAMP)
	KARI_DEBUG=1 KARI_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend $(BIN)/kari demo --phase ranking --applicants 120 --serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(if $(strip $(MYPY_PACKAGES)),$(BIN)/mypy $(MYPY_PACKAGES))

test: $(STAMP) browser lint
	bin/run-tests

clean:
	rm -rf $(VENV) .pytest_cache
