# Neuron — build, test, benchmark. Targets install the Debian packages they need when missing.
SWIFT ?= swift
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
DEB_PACKAGES = libopenblas-dev libdnnl-dev zlib1g-dev libcairo2-dev dataset-fashion-mnist
BENCH_PACKAGES = $(DEB_PACKAGES) gcc python3-venv

.PHONY: deps build test bench bench-ops venv clean

# Installs the Debian packages the build links against, once, only when one is missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# A Python environment with PyTorch, for fixtures and side-by-side benchmarks.
venv:
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi
	@[ -x $(PYTHON) ] || (python3 -m venv $(VENV) && $(VENV)/bin/pip install -q torch safetensors numpy)

# Tensor-core micro-benchmarks next to PyTorch and the GEMM libraries called from C.
bench-ops: build venv
	cc -O2 -o .build/gemm bench/gemm.c -lopenblas -ldnnl
	$(PYTHON) bench/compare_ops.py --neuron .build/release/neuron --gemm .build/gemm --python $(PYTHON)

bench: bench-ops

clean:
	rm -rf .build
