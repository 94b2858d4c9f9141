#!/usr/bin/env bash
# The CUDA backend checked on a machine with an NVIDIA GPU, in one command per side:
#
#   scripts/gpu-check.sh bundle       here (Swift, Debian): builds neuron-cuda-check with the
#                                     Swift runtime linked in and packs it, with the few shared
#                                     libraries it needs and Fashion-MNIST, into .build/gpu-check
#   scripts/gpu-check.sh run [OUT]    there (no Swift, no network; PyTorch in /opt/torch/.venv):
#                                     every op and gradient against the CPU backend and PyTorch,
#                                     one MLP epoch and matmul TFLOP/s next to PyTorch's
#
# The run takes about two minutes; its results land in OUT (default $OUT or gpu-check-results).
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=.build/gpu-check
FASHION=/usr/share/datasets/fashion-mnist

case "${1:-run}" in
bundle)
    swift build -c release --static-swift-stdlib --product neuron-cuda-check
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/lib" "$BUNDLE/fashion"
    cp .build/release/neuron-cuda-check scripts/gpu_check_torch.py "$BUNDLE/"
    # Everything it links beyond glibc, libstdc++ and libgcc (oneDNN, OpenMP, zlib), compressed.
    ldd .build/release/neuron-cuda-check | awk '/=> \// { print $3 }' |
        grep -Ev '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
        while read -r lib; do cp -L "$lib" "$BUNDLE/lib/"; done
    xz -T2 -6 "$BUNDLE"/lib/*.so*
    cp "$FASHION"/*.gz "$BUNDLE/fashion/"
    du -sh "$BUNDLE"
    ;;
run)
    RESULTS=${2:-${OUT:-gpu-check-results}}
    mkdir -p "$RESULTS" "$RESULTS/lib"
    PYTHON=/opt/torch/.venv/bin/python
    [ -x "$PYTHON" ] || PYTHON=python3
    "$PYTHON" - "$BUNDLE/lib" "$RESULTS/lib" <<'PY'
import lzma, pathlib, sys
for packed in pathlib.Path(sys.argv[1]).glob("*.xz"):
    (pathlib.Path(sys.argv[2]) / packed.stem).write_bytes(lzma.decompress(packed.read_bytes()))
PY
    NEURON_CUDA_LIBDIR=$(ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu13/lib 2>/dev/null | head -1)
    export NEURON_CUDA_LIBDIR NEURON_CUDA_CACHE="$RESULTS/kernel-cache"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    status=0
    LD_LIBRARY_PATH="$RESULTS/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}" \
        "$BUNDLE/neuron-cuda-check" --data "$BUNDLE/fashion" --out "$RESULTS" | tee "$RESULTS/neuron.log" || status=1
    "$PYTHON" "$BUNDLE/gpu_check_torch.py" --dump "$RESULTS/cuda_ops.safetensors" --data "$BUNDLE/fashion" \
        --neuron "$RESULTS/neuron_cuda.json" | tee "$RESULTS/torch.log" || status=1
    exit $status
    ;;
*)
    echo "usage: scripts/gpu-check.sh bundle | run [OUT]" >&2
    exit 2
    ;;
esac
