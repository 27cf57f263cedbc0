# The two commands of the README. Both create .venv when it is missing and (re)install the
# project when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.cosmossl-installed

.PHONY: demo test lint format install clean api-snapshot

demo: $(STAMP)
	$(VENV)/bin/cosmossl run examples/quickstart.toml

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

install: $(STAMP)

# After an intended change of the public API (new names): rewrite tests/architecture/api/.
# It refuses breaking changes; see tests/support/api.py for a removal after its deprecation.
api-snapshot: $(STAMP)
	$(PY) tests/support/api.py

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info runs
