# The two commands a newcomer needs: `make book` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# torch must be the CPU build. On the project's machines `torch==2.13.0` resolves to a CPU
# wheel on disk; elsewhere pass e.g. TORCH_SPEC="torch==2.13.0 --index-url <a CPU wheel index>".
TORCH_SPEC ?= torch==2.13.0
PIP := $(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
# pip's extra local indexes print one warning per package: keep the log readable.
QUIET := 2> >(grep -v "^WARNING: Location" >&2)

.PHONY: help install test bench book check-book lab reproduce retrain clean

help:
	@echo "make book   - install (first time) and build the executed book into book/_build/html"
	@echo "make test   - install (first time) and run the test suite"
	@echo "make bench  - time every kernel against its plain-NumPy twin, whole methods, GNN steps"
	@echo "make check-book - build the book, then screenshot every page (headless Chromium) into book/_build/screenshots"
	@echo "make lab    - JupyterLab on the book: every chapter opens as a notebook (jupytext), same environment"
	@echo "make reproduce  - recompute every stored result (quick and full scale), the scorecard, then the book"
	@echo "make retrain    - drop the GRL checkpoints (the next make reproduce trains them again)"
	@echo "make clean  - remove the build, caches and the virtual environment"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever the declared dependencies change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q $(TORCH_SPEC) $(QUIET)
	$(PIP) -q -e ".[channels,gnn,sweeps,book,dev]" $(QUIET)
	$(BIN)/python -m pip check
	touch $@

install: $(VENV)/.installed

test: install
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider --doctest-modules tests hudnlib

bench: install
	$(BIN)/python benchmarks/bench_kernels.py
	$(BIN)/python benchmarks/bench_gnn.py
	$(BIN)/python benchmarks/bench_contention.py
	$(BIN)/python benchmarks/bench_beyond.py
	$(BIN)/python benchmarks/precision_study.py time

# Jupyter Book's execution cache keys only on notebook code: drop it whenever the library,
# the data or the pinned environment change, so that no chapter shows a stale result.
SOURCE_HASH = $(shell cat constraints.txt pyproject.toml $$(find hudnlib data -type f \( -name '*.py' -o -name '*.json' -o -name '*.parquet' -o -name '*.npz' \) | LC_ALL=C sort) 2>/dev/null | sha256sum | cut -c1-16)

# MathJax served from the book itself (no page loads anything from the web): the npm
# registry's package, fetched once into book/_vendor (not committed; not under _static, whose every script Jupyter Book would load).
MATHJAX_VERSION := 3.2.2
MATHJAX := book/_vendor/mathjax/tex-chtml.js

$(MATHJAX):
	@rm -rf book/_vendor/mathjax && mkdir -p book/_vendor
	@tmp=$$(mktemp -d) && cd $$tmp && \
		(npm pack -q mathjax@$(MATHJAX_VERSION) >/dev/null 2>&1 || \
		 curl -sfLO https://registry.npmjs.org/mathjax/-/mathjax-$(MATHJAX_VERSION).tgz) && \
		tar xzf mathjax-$(MATHJAX_VERSION).tgz && mv package/es5 $(CURDIR)/book/_vendor/mathjax && rm -rf $$tmp
	@test -f $@ && echo "MathJax $(MATHJAX_VERSION) vendored into book/_vendor/mathjax"

book: install $(MATHJAX)
	@if [ "$$(cat book/_build/.source_hash 2>/dev/null)" != "$(SOURCE_HASH)" ]; then \
		echo "library, data or environment changed: clearing the execution cache, rebuilding every page"; \
		rm -rf book/_build/.jupyter_cache book/_build/.doctrees book/_build/html; \
	fi
	env -u MPLBACKEND $(BIN)/jupyter-book build book --warningiserror --keep-going --path-output book
	@echo "$(SOURCE_HASH)" > book/_build/.source_hash
	@echo "book: $(CURDIR)/book/_build/html/index.html"

# Re-executing a chapter: JupyterLab (installed on first use, pinned) with jupytext, which opens
# every MyST chapter as a notebook; HUDNLIB_SCALE=quick make lab reads the quick results.
LAB_SPEC ?= jupyterlab==4.6.6

lab: install
	$(PIP) -q "$(LAB_SPEC)" $(QUIET)
	cd book && ../$(BIN)/jupyter lab --ServerApp.open_browser=False $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Every registered experiment at both scales, in registry order, then the book. Resumable:
# a rerun skips what this reproduction already stored (newer than its stamp) and resumes the
# interrupted experiment's finished chunks. GRL checkpoints are reused: `make retrain` first
# to retrain them too (hours on a CPU; see README).
STAMP := data/results/.reproduce-started

reproduce: install
	@[ -f $(STAMP) ] || touch $(STAMP)
	@for name in $$($(BIN)/python -m hudnlib list | awk '{print $$1}'); do \
		for scale in quick full; do \
			if [ data/results/$$name-$$scale.json -nt $(STAMP) ]; then echo "$$name ($$scale): done in this reproduction"; continue; fi; \
			$(BIN)/python -m hudnlib run $$name --scale $$scale --recompute --workers 2 || exit 1; \
		done; \
	done
	rm -f $(STAMP)
	$(MAKE) book

# Drop every GRL checkpoint, so that the next run of a GNN experiment trains it again.
retrain:
	rm -f data/checkpoints/*.pt data/checkpoints/*.json data/checkpoints/*.history.parquet

# Full-page screenshots of every built page, for people to look at (Debian's chromium, driven
# by playwright-core from the npm registry). Fails when a page cannot be captured, leaves an
# equation untypeset, or requests anything from the web.
PLAYWRIGHT := tools/node_modules/playwright-core

$(PLAYWRIGHT): tools/package.json tools/package-lock.json
	cd tools && npm ci -q --no-audit --no-fund >/dev/null

check-book: book $(PLAYWRIGHT)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	node tools/screenshot_pages.mjs book/_build/html book/_build/screenshots

clean:
	rm -rf book/_build .numba_cache .pytest_cache $(VENV) *.egg-info
