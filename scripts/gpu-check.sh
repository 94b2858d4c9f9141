#!/usr/bin/env bash
# The CUDA backend checked on a machine with an NVIDIA GPU, in one command per side:
#
#   scripts/gpu-check.sh bundle       here (Swift, Debian): builds neuron-cuda-check with the
#                                     Swift runtime linked in and packs it, with the few shared
#                                     libraries it needs and Fashion-MNIST, into .build/gpu-check
#   scripts/gpu-check.sh run [OUT]    there (no Swift, no network; PyTorch in /opt/torch/.venv):
#                                     every op and gradient against the CPU backend and PyTorch,
#                                     one epoch of each model of the GPU table (graph replay, op by
#                                     op, bfloat16 autocast, the CPU's accuracy) next to PyTorch
#                                     eager and torch.compile, and matmul TFLOP/s
#
# The bundle is about 55 MB (the check executable and the libraries it links, compressed with
# xz and unpacked by the run with Python's lzma). The run takes under ten minutes; its results
# land in OUT (default $OUT or gpu-check-results). MODELS=lenet,cgan limits the model epochs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.build/gpu-check
FASHION=/usr/share/datasets/fashion-mnist

case "${1:-run}" in
bundle)
    swift build -c release --static-swift-stdlib --product neuron-cuda-check
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/lib" "$BUNDLE/fashion"
    cp .build/release/neuron-cuda-check scripts/gpu_check_torch.py scripts/gpu_models_torch.py "$BUNDLE/"
    # Everything it links beyond glibc, libstdc++ and libgcc (oneDNN, OpenMP, zlib), compressed.
    ldd .build/release/neuron-cuda-check | awk '/=> \// { print $3 }' |
        grep -Ev '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
        while read -r lib; do cp -L "$lib" "$BUNDLE/lib/"; done
    strip "$BUNDLE/neuron-cuda-check"
    xz -T2 -6 "$BUNDLE"/lib/*.so* "$BUNDLE/neuron-cuda-check"
    cp "$FASHION"/*.gz "$BUNDLE/fashion/"
    du -sh "$BUNDLE"
    ;;
run)
    RESULTS=${2:-${OUT:-gpu-check-results}}
    mkdir -p "$RESULTS" "$RESULTS/lib"
    RESULTS=$(cd "$RESULTS" && pwd)
    PYTHON=/opt/torch/.venv/bin/python
    [ -x "$PYTHON" ] || PYTHON=python3
    "$PYTHON" - "$BUNDLE" "$RESULTS" <<'PY'
import lzma, os, pathlib, sys
bundle, results = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for packed in list(bundle.glob("lib/*.xz")) + [bundle / "neuron-cuda-check.xz"]:
    target = results / packed.relative_to(bundle).with_suffix("")
    target.write_bytes(lzma.decompress(packed.read_bytes()))
os.chmod(results / "neuron-cuda-check", 0o755)
PY
    NEURON_CUDA_LIBDIR=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu13/lib 2>/dev/null | head -1 || true)
    export NEURON_CUDA_LIBDIR NEURON_CUDA_CACHE="$RESULTS/kernel-cache"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    status=0
    # The op checks once with every convolution through cuDNN (when it loads), then everything
    # with the path chosen per shape by measurement.
    mkdir -p "$RESULTS/cudnn"
    NEURON_CUDA_CONV=cudnn LD_LIBRARY_PATH="$RESULTS/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}" \
        "$RESULTS/neuron-cuda-check" --ops-only --out "$RESULTS/cudnn" | tee "$RESULTS/neuron-cudnn.log" || status=1
    LD_LIBRARY_PATH="$RESULTS/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}" \
        "$RESULTS/neuron-cuda-check" --data "$BUNDLE/fashion" --out "$RESULTS" ${MODELS:+--models "$MODELS"} |
        tee "$RESULTS/neuron.log" || status=1
    "$PYTHON" "$BUNDLE/gpu_check_torch.py" --dump "$RESULTS/cuda_ops.safetensors" --data "$BUNDLE/fashion" \
        --neuron "$RESULTS/neuron_cuda.json" | tee "$RESULTS/torch.log" || status=1
    (cd "$BUNDLE" && "$PYTHON" gpu_models_torch.py --data fashion --neuron "$RESULTS/neuron_cuda.json" --minilm "$RESULTS" \
        ${MODELS:+--models "$MODELS"}) | tee "$RESULTS/torch_models.log" || status=1
    exit $status
    ;;
*)
    echo "usage: scripts/gpu-check.sh bundle | run [OUT]" >&2
    exit 2
    ;;
esac
