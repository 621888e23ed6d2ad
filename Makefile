# The README's two commands:
#   make demo   - set up .venv/ if needed, then run the embedded demo
#   make test   - set up .venv/ if needed, then run the whole test suite
# Optional: WHEELS=DIR (make variable or environment variable) adds a folder of
# prebuilt wheels, e.g. WHEELS=../shared/wheels to skip the ~50 min mmcv build.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WHEELS ?=
FIND_LINKS := $(if $(WHEELS),--find-links $(abspath $(WHEELS)),)
PIP := $(PY) -m pip install --disable-pip-version-check $(FIND_LINKS)
REQS := requirements/build.txt requirements/runtime.txt requirements/openmmlab.txt requirements/tests.txt requirements/deploy.txt requirements/pruning.txt
STAMP := $(VENV)/.installed
REFENV := .refenv
REF_STAMP := $(REFENV)/.installed
EDGE_STAMP := $(VENV)/.edge-installed
PYTEST_ARGS ?=
# pytest-xdist workers of make test, one per core of the 2 the suite is sized
# for (tests/conftest.py gives each 1 torch thread); a test module stays in
# one worker, so its module fixtures are built once. TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2

.PHONY: setup refenv edge demo test lint format clean

setup: $(STAMP)

$(STAMP): $(REQS) setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements/build.txt
	$(PIP) -r requirements/runtime.txt -r requirements/tests.txt -r requirements/deploy.txt
	$(PIP) --no-deps -r requirements/pruning.txt
	MMCV_WITH_OPS=1 FORCE_CUDA=0 $(PIP) --no-build-isolation --no-deps -r requirements/openmmlab.txt
	$(PIP) --no-build-isolation --no-deps -e .
	$(PY) -c "import mmdet_efficientdet, mmcv.ops; print('stack ok')"
	@touch $@

# test-only reference (effdet) for parity/benchmark comparisons, see
# requirements/reference.txt
refenv: $(REF_STAMP)

$(REF_STAMP): requirements/reference.txt $(STAMP)
	rm -rf $(REFENV)
	$(PIP) --no-deps --target $(REFENV) -r requirements/reference.txt
	@touch $@

# the optional edge runtime (ExecuTorch/XNNPACK), see requirements/edge.txt
edge: $(EDGE_STAMP)

$(EDGE_STAMP): requirements/edge.txt $(STAMP)
	$(PIP) -r requirements/edge.txt -c requirements/build.txt
	@touch $@

demo: setup
	$(PY) tools/run_demo.py

test: setup refenv edge
	$(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# OpenMMLab's lint with setup.cfg's settings: flake8, isort and yapf (CI runs
# it before the tests; `make format` applies isort and yapf)
LINT_PATHS := mmdet_efficientdet tools tests reference configs setup.py
lint: setup
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive $(LINT_PATHS)

format: setup
	$(PY) -m isort $(LINT_PATHS)
	$(PY) -m yapf --in-place --recursive $(LINT_PATHS)

clean:
	rm -rf $(VENV) $(REFENV) work_dirs demo_out
