# Two commands for a newcomer: `make demo` and `make test`. Both set everything up.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

# No model hub at run time: everything the model needs is installed locally.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint install dev format clean chromium

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Undertone needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first, from the CPU build on local disk; any other torch spec pulls a CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/undertone demo

test: dev chromium
	TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest

# The HTML report is tested in a real browser: Debian's chromium, installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo -n ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
		|| echo "warning: could not install chromium; the browser test will fail in CI and be skipped elsewhere"; }

lint: dev
	$(BIN)/ruff check bot classifiers migrations tests bench
	$(BIN)/ruff format --check bot classifiers migrations tests bench
	$(BIN)/mypy bot classifiers

format: dev
	$(BIN)/ruff check --fix bot classifiers migrations tests bench
	$(BIN)/ruff format bot classifiers migrations tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
