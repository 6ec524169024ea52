# sslworkbench — everyday commands. `make` alone lists them.
#
#   make lab                       # install into .venv (first time only), open JupyterLab
#   make test                      # unit tests + every notebook in smoke mode (what CI runs)
#   make install TORCH_PIN=        # let pip choose torch instead of the pinned build
#   make lab LAB_ARGS="--no-browser --port 8890"
#   make test-full NB=01           # notebooks at their real settings: time and peak memory
#
# Everything lives in a virtualenv, .venv/ (VENV=... to put it elsewhere). The
# install is remembered by a stamp file, so `make test` reinstalls only when
# pyproject.toml changes (or after `make clean-venv`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON     ?= python3
VENV       ?= .venv
VENV_PY    := $(VENV)/bin/python
PIP        := $(VENV_PY) -m pip
# Installed only when the venv has no torch yet; empty = let pip pick from pyproject.toml.
TORCH_PIN  ?= torch==2.14.1 torchvision==0.29.1
EXTRAS     ?= notebooks,test
# -q keeps the log readable; pip still prints warnings and errors.
PIP_FLAGS  ?= -q --disable-pip-version-check --no-input
PYTEST_ARGS ?= -q -ra --durations=10
LAB_ARGS   ?=
BENCH_ARGS ?=
# Filters for `make test-full`: substrings of notebook names, e.g. NB="01 03".
NB         ?=
STAMP      := $(VENV)/.installed

export PIP_NO_INPUT := 1

.PHONY: help install lab test test-full bench clean clean-data clean-venv

help: ## List the targets
	@echo "sslworkbench — make targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: VENV=$(VENV) PYTHON=$(PYTHON) TORCH_PIN='$(TORCH_PIN)'"
	@echo "           LAB_ARGS, PYTEST_ARGS, BENCH_ARGS, NB (notebook filters for test-full)"

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV_PY)
	@echo ">> installing sslworkbench into $(VENV) (first time: a few minutes)"
	$(PIP) install $(PIP_FLAGS) --upgrade pip
	@if [ -n "$(strip $(TORCH_PIN))" ] && ! $(VENV_PY) -c "import torch" >/dev/null 2>&1; then \
		echo "$(PIP) install $(PIP_FLAGS) $(TORCH_PIN)"; \
		$(PIP) install $(PIP_FLAGS) $(TORCH_PIN); \
	fi
	$(PIP) install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@$(VENV_PY) -c "import torch, torchvision, sslworkbench; \
		print(f'>> installed: torch {torch.__version__}, torchvision {torchvision.__version__}, sslworkbench {sslworkbench.__version__}')"
	@touch $@

install: $(STAMP) ## Create .venv and install the project (+ notebooks, test extras)

lab: $(STAMP) ## Open JupyterLab on notebooks/ (LAB_ARGS="--no-browser --port 8890")
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ARGS)

test: $(STAMP) ## Unit tests + every notebook in smoke mode (what CI runs)
	@# tests/test_browser.py needs Debian's chromium (Playwright is told to use it; it downloads no browser)
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo ">> installing Debian's chromium for tests/test_browser.py"; \
			apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } \
				|| echo ">> could not install chromium: tests/test_browser.py will be skipped (and say so)"; \
		else \
			echo ">> no chromium (install it as root: apt-get install -y chromium): tests/test_browser.py will be skipped"; \
		fi; \
	fi
	TQDM_DISABLE=1 SSLWB_SMOKE=1 $(VENV_PY) -m pytest $(PYTEST_ARGS)

test-full: $(STAMP) ## Every notebook at its real settings: wall time, peak memory (NB=filters)
	$(VENV_PY) benchmarks/run_notebooks.py $(NB)

bench: $(STAMP) ## Throughput of views and training steps (sslworkbench bench)
	$(VENV)/bin/sslworkbench bench $(BENCH_ARGS)

clean: ## Remove build artefacts, caches and executed notebooks (keeps data/ and .venv)
	rm -rf build/ dist/ *.egg-info .pytest_cache notebooks/executed
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 -r rm -rf

clean-data: ## Remove everything in data/ except its README (cached and downloaded datasets)
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

clean-venv: ## Remove the virtualenv (the next make install starts from scratch)
	rm -rf $(VENV)
