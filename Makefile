# Toy Models of Superposition, reproduced.
#   make paper              build (release), run every experiment (cached), render figures, write the report
#   make paper FORCE=1      ignore the cache and retrain everything
#   make paper TIER=large   also train the large tier (E1 at n = 65,536; hours) and commit it to paper/tiers/
#   make paper THREADS=1    train on one thread (results are identical)
#   make test               run the tests
#   make check              re-render every figure and compare figures and claims with the committed baselines
#   make publish            assemble site/ (report, figures, claims, provenance) for any static host
#   make crosscheck         the PyTorch reference retrains the covered experiments (paper/crosscheck.json)
# Both install any missing system package first (apt-get; sudo only when not root).

SHELL := /bin/bash
PACKAGES := libcairo2-dev pkg-config fonts-dejavu-core libcmark-gfm-dev libcmark-gfm-extensions-dev libopenblas-dev
# Only the tests use these: Chromium (the site in a browser) and a single-node Slurm (the sweep test).
TEST_PACKAGES := chromium slurmctld slurmd slurm-client munge
THREADS ?= $(shell nproc)
FORCE ?=
PAPER := .build/release/paper
FORCE_FLAG := $(if $(filter 1 yes true,$(FORCE)),--force,)
TIER ?=
TIER_FLAG := $(if $(TIER),--tier $(TIER),)


.PHONY: setup test-setup install-packages build paper test check publish bench bench-torch crosscheck torch-golden clean

setup:
	@$(MAKE) --no-print-directory install-packages WANT="$(PACKAGES)"

# The tests' packages too, and numpy (the export test reads an export with it).
test-setup: setup
	@$(MAKE) --no-print-directory install-packages WANT="$(TEST_PACKAGES)"
	@python3 -c 'import numpy' 2>/dev/null || { echo "installing numpy"; python3 -m pip install -q numpy 2>/dev/null \
	  || $(MAKE) --no-print-directory install-packages WANT=python3-numpy; }

install-packages:
	@missing=""; \
	for p in $(WANT); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing missing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: setup
	swift build -c release --product paper

paper: build
	$(PAPER) build --threads $(THREADS) $(FORCE_FLAG) $(TIER_FLAG)

test: test-setup
	swift test

# Re-render every figure and compare with figures/ and paper/claims.json (fails on a visible change).
check: build
	$(PAPER) check --threads $(THREADS)

# Build everything and assemble site/ with provenance.
publish: build
	$(PAPER) publish --threads $(THREADS) $(FORCE_FLAG)

# The bench lets OpenBLAS choose its own kernel for the sgemm ceiling: some machines set OPENBLAS_CORETYPE (and
# OPENBLAS_L2_SIZE) to an older kernel, which understates the ceiling (Haswell's AVX2 kernel on an AVX-512 Zen 5).
# Unset here, for the bench alone; the bench checks the product's entries, and stops if the kernel computes wrong.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

bench: build
	$(BENCH_ENV) $(PAPER) bench --threads $(THREADS)

# The PyTorch reference beside our engine: a virtual environment with torch from PyPI, made once.
TORCH_VENV := .venv-torch
$(TORCH_VENV)/bin/python:
	python3 -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install -q torch==2.15.0 numpy

bench-torch: build $(TORCH_VENV)/bin/python
	$(BENCH_ENV) $(PAPER) bench --threads $(THREADS) --vs-torch --python $(TORCH_VENV)/bin/python

# The cross-check: the PyTorch reference retrains the covered experiments and paper/crosscheck.json records how its
# models fare under our claim rules; `make paper` shows them beside ours. Not part of `make paper` (PyTorch is slow).
crosscheck: build $(TORCH_VENV)/bin/python
	$(PAPER) crosscheck --threads $(THREADS) --python $(TORCH_VENV)/bin/python

# Regenerate the replay golden file the engine tests compare with (PyTorch losses on a fixed case).
torch-golden: build $(TORCH_VENV)/bin/python
	$(PAPER) bench --python $(TORCH_VENV)/bin/python --torch-golden Tests/EngineTests/torch-replay.json

clean:
	rm -rf .build .cache site
