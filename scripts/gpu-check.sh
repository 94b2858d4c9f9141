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
# The bundle is about 50 MB (the check executable and oneDNN compressed with xz, unpacked by the
# run with Python's lzma). The run takes about two minutes; its results land in OUT (default
# $OUT or gpu-check-results).
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
    strip "$BUNDLE/neuron-cuda-check"
    xz -T2 -6 "$BUNDLE"/lib/*.so* "$BUNDLE/neuron-cuda-check"
    cp "$FASHION"/*.gz "$BUNDLE/fashion/"
    du -sh "$BUNDLE"
    ;;
run)
    RESULTS=${2:-${OUT:-gpu-check-results}}
    mkdir -p "$RESULTS" "$RESULTS/lib"
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
    LD_LIBRARY_PATH="$RESULTS/lib:/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}" \
        "$RESULTS/neuron-cuda-check" --data "$BUNDLE/fashion" --out "$RESULTS" | tee "$RESULTS/neuron.log" || status=1
    "$PYTHON" "$BUNDLE/gpu_check_torch.py" --dump "$RESULTS/cuda_ops.safetensors" --data "$BUNDLE/fashion" \
        --neuron "$RESULTS/neuron_cuda.json" | tee "$RESULTS/torch.log" || status=1
    exit $status
    ;;
*)
    echo "usage: scripts/gpu-check.sh bundle | run [OUT]" >&2
    exit 2
    ;;
esac
