# sslworkbench — everyday commands. `make` alone lists them.
#
#   make lab                       # install into .venv (first time only), open JupyterLab
#   make test                      # ruff, unit tests + every notebook in smoke mode (what CI runs)
#   make install TORCH_PIN=        # let pip choose torch instead of the pinned build
#   make install TORCH_INDEX=      # no NVIDIA GPU, but take pip's default torch anyway (CUDA build on Linux)
#   make lint                      # ruff check (make test runs it first)
#   make lab LAB_ARGS="--no-browser --port 8890"
#   make test-full NB=01           # notebooks at their real settings: time and peak memory
#   make test-full THREADS=1       # ... with one thread: another float path, as another CPU takes
#   make test-full SIZES=lower     # ... with every N_* size a tenth: each must still reach its end
#   make test-full RECORD_CLAIMS=1 # ... and file their claims as measured "when written"
#   make test-binder               # what Binder builds, in a clean .venv-binder/: imports + two notebooks
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
# PyTorch: installed only when the venv has no torch yet. TORCH_PIN is the pair CI
# tests; empty = let pip pick from pyproject.toml (torch>=2.1, as on Colab).
TORCH_PIN  ?= torch==2.14.1 torchvision==0.29.1
# On Linux without an NVIDIA GPU, TORCH_PIN comes from PyTorch's CPU-only wheel
# index (PyPI's Linux torch is the CUDA build: several GB, and ~300 MB more memory
# just to import it). Empty = don't try. If the index does not answer within
# TORCH_INDEX_TIMEOUT seconds, pip's default index is used instead.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_INDEX_TIMEOUT ?= 5
# Non-empty when this machine has an NVIDIA GPU (its driver: nvidia-smi or /proc/driver/nvidia).
NVIDIA_GPU  = $(shell command -v nvidia-smi >/dev/null 2>&1 || [ -e /proc/driver/nvidia ] && echo yes)
# Jupyter refuses to run as root (containers, cloud VMs) unless given --allow-root:
# added when `id -u` is 0 (and LAB_ARGS does not already have it).
LAB_ROOT    = $(if $(filter --allow-root,$(LAB_ARGS)),,$(if $(filter 0,$(shell id -u)),--allow-root))
EXTRAS     ?= notebooks,test
# -q keeps the log readable; pip still prints warnings and errors.
PIP_FLAGS  ?= -q --disable-pip-version-check --no-input
PYTEST_ARGS ?= -q -ra --durations=10
LAB_ARGS   ?=
BENCH_ARGS ?=
# Filters for `make test-full`: substrings of notebook names, e.g. NB="01 03".
NB         ?=
# `make test-full` modes: THREADS=1 (one thread), SIZES=lower (N_* sizes a tenth),
# RECORD_CLAIMS=1 (write sslworkbench/data/files/claims_when_written.json from the run).
THREADS    ?=
SIZES      ?=
RECORD_CLAIMS ?=
STAMP      := $(VENV)/.installed

export PIP_NO_INPUT := 1

.PHONY: help install lab lint test test-full test-binder bench clean clean-data clean-venv

help: ## List the targets
	@echo "sslworkbench — make targets:"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: VENV=$(VENV) PYTHON=$(PYTHON) TORCH_PIN='$(TORCH_PIN)'"
	@echo "           TORCH_INDEX='$(TORCH_INDEX)' (used only on Linux without an NVIDIA GPU)"
	@echo "           LAB_ARGS, PYTEST_ARGS, BENCH_ARGS, NB (notebook filters for test-full)"

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV_PY)
	@echo ">> installing sslworkbench into $(VENV) (first time: a few minutes)"
	$(PIP) install $(PIP_FLAGS) --upgrade pip
	@# PyTorch first, so that the project install below finds it and leaves it alone.
	@# Ends with one line: which build was installed, from where, and why.
	@if [ -z "$(strip $(TORCH_PIN))" ]; then \
		echo ">> TORCH_PIN is empty: pip picks torch from pyproject.toml"; \
	elif $(VENV_PY) -c "import torch" >/dev/null 2>&1; then \
		echo ">> torch is already in $(VENV): kept"; \
	else \
		index=; \
		if [ "$$(uname -s)" != Linux ]; then \
			why="PyPI's torch for $$(uname -s) has no CUDA"; \
		elif [ -n "$(NVIDIA_GPU)" ]; then \
			why="NVIDIA GPU found"; \
		elif [ -z "$(TORCH_INDEX)" ]; then \
			why="no NVIDIA GPU found, but TORCH_INDEX is empty"; \
		elif $(VENV_PY) -c "import urllib.request as u; u.urlopen('$(patsubst %/,%,$(TORCH_INDEX))/torch/', timeout=$(TORCH_INDEX_TIMEOUT))" >/dev/null 2>&1; then \
			index="$(TORCH_INDEX)"; why="no NVIDIA GPU found (no nvidia-smi, no /proc/driver/nvidia)"; \
		else \
			why="no NVIDIA GPU found, but $(TORCH_INDEX) could not be reached (TORCH_INDEX= skips trying)"; \
		fi; \
		if [ -n "$$index" ]; then \
			echo "$(PIP) install $(PIP_FLAGS) --index-url $$index $(TORCH_PIN)"; \
			$(PIP) install $(PIP_FLAGS) --index-url "$$index" --timeout 30 --retries 1 $(TORCH_PIN) \
				|| { index=; why="no NVIDIA GPU found, but the install from $(TORCH_INDEX) failed"; }; \
		fi; \
		if [ -z "$$index" ]; then \
			echo "$(PIP) install $(PIP_FLAGS) $(TORCH_PIN)"; \
			$(PIP) install $(PIP_FLAGS) $(TORCH_PIN) || exit 1; \
		fi; \
		FROM="$${index:-the default index}" WHY="$$why" $(VENV_PY) -W ignore -c "import os, torch; \
			build = f'CUDA {torch.version.cuda}' if torch.version.cuda else 'CPU'; \
			src, why = os.environ['FROM'], os.environ['WHY']; \
			print(f'>> torch {torch.__version__}, {build} build, from {src}: {why}')"; \
	fi
	$(PIP) install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@$(VENV_PY) -c "import torch, torchvision, sslworkbench; \
		print(f'>> installed: torch {torch.__version__}, torchvision {torchvision.__version__}, sslworkbench {sslworkbench.__version__}')"
	@touch $@

install: $(STAMP) ## Create .venv and install the project (+ notebooks, test extras)

lab: $(STAMP) ## Open JupyterLab on notebooks/ (LAB_ARGS="--no-browser --port 8890")
	$(VENV)/bin/jupyter lab notebooks/ $(LAB_ROOT) $(LAB_ARGS)

lint: $(STAMP) ## ruff check of the library, tests, benchmarks and tools (rules: pyproject.toml)
	$(VENV)/bin/ruff check sslworkbench tests benchmarks tools

test: $(STAMP) lint ## Lint, then unit tests + every notebook in smoke mode (what CI runs)
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
	@# SSLWB_ENFORCE_CLAIMS=1: the notebooks' claims are enforced here (a learner only sees them reported)
	TQDM_DISABLE=1 SSLWB_SMOKE=1 SSLWB_ENFORCE_CLAIMS=1 $(VENV_PY) -m pytest $(PYTEST_ARGS)

test-full: $(STAMP) ## Every notebook at its real settings: wall time, peak memory (NB=, THREADS=1, SIZES=lower)
	@case "$(SIZES)" in ""|lower) ;; *) echo "SIZES=$(SIZES): only SIZES=lower is known"; exit 2;; esac
	SSLWB_ENFORCE_CLAIMS=1 $(VENV_PY) benchmarks/run_notebooks.py $(if $(THREADS),--threads $(THREADS)) \
		$(if $(filter lower,$(SIZES)),--lower-sizes) $(if $(RECORD_CLAIMS),--record-claims) $(NB)

test-binder: $(STAMP) ## What Binder builds (binder/), in a clean .venv-binder/: import all, run 07 and 13 (CI runs it)
	TQDM_DISABLE=1 TORCH_PIN="$(TORCH_PIN)" $(VENV_PY) tools/check_binder.py

bench: $(STAMP) ## Throughput of views and training steps (sslworkbench bench)
	$(VENV)/bin/sslworkbench bench $(BENCH_ARGS)

clean: ## Remove build artefacts, caches and executed notebooks (keeps data/ and .venv)
	rm -rf build/ dist/ *.egg-info .pytest_cache notebooks/executed
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o \
		\( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 -r rm -rf

clean-data: ## Remove everything in data/ except its README (cached and downloaded datasets)
	find data -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

clean-venv: ## Remove the virtualenv (the next make install starts from scratch)
	rm -rf $(VENV) .venv-binder
