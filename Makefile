# GridDesk: `make run` opens the command centre, `make test` runs every test.
# Both create .venv and install the project on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox --disable-gpu

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

.PHONY: setup run test lint bench
setup: $(VENV)/.installed

run: $(VENV)/.installed
	QT_QPA_PLATFORM= $(PY) main.py gui

test: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: $(VENV)/.installed
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
