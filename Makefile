# glassgrad: two commands for a new user (make demo, make test), plus lint, crosscheck and bench.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: demo test lint crosscheck bench bench-mnist dot clean

# The virtual environment, with the project editable and the extras each target needs.
$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[test,demos]'
	touch $@

$(VENV)/.lint: $(VENV)/.base
	$(PIP) install -e '.[lint]'
	touch $@

$(VENV)/.bench: $(VENV)/.base
	$(PIP) install -e '.[bench]'
	touch $@

$(VENV)/.crosscheck: $(VENV)/.base
	$(PIP) install -e '.[crosscheck]'
	touch $@

# The graphviz program `dot` draws the graphs; the Python package only drives it.
dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz (the dot program) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "glassgrad needs the graphviz program 'dot': install it (e.g. sudo apt-get install graphviz) and run make again"; \
	    exit 1; \
	  fi; }

demo: $(VENV)/.base dot
	MPLBACKEND=Agg $(PY) demos/tour.py

test: $(VENV)/.base dot
	MPLBACKEND=Agg $(PY) -m pytest -q

# ruff, then the import contracts of pyproject.toml (import-linter): the layers' arrows.
lint: $(VENV)/.lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Install PyTorch and micrograd (and ONNX) so that `make test` runs the cross-checks against them.
crosscheck: $(VENV)/.crosscheck

# Benchmarks run on demand, never in the tests: each prints ratios against its peers in one run.
# The MNIST training comparison takes about 20 minutes: make bench-mnist.
bench: $(VENV)/.bench
	$(PY) benchmarks/scalar_engine.py
	$(PY) benchmarks/tensor_engine.py

bench-mnist: $(VENV)/.bench
	$(PY) benchmarks/mnist_cnn.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
