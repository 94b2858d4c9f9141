"""The PyTorch side of scripts/gpu-check.sh, on the same GPU.

Reads the inputs and CUDA outputs that neuron-cuda-check wrote (cuda_ops.safetensors), runs the
same ops in PyTorch on the GPU (TF32 off) and compares; then one epoch of the same MLP
(784-256-128-10, batch 64, Adam 1e-3, data preloaded on the GPU) and float32 matmul
throughput, and prints them next to Neuron's figures (neuron_cuda.json). Needs only torch.
"""
import argparse
import gzip
import json
import struct
import sys
import time

import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    types = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "BOOL": torch.bool, "U8": torch.uint8, "BF16": torch.bfloat16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        chunk = bytearray(body[start:end])
        t = torch.frombuffer(chunk, dtype=types[info["dtype"]]) if end > start else torch.empty(0, dtype=types[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors


# The ops of Sources/NeuronCUDACheck/OpChecks.swift, by name, on inputs x[0], x[1], …
OPS = {
    "neg": lambda x: -x[0], "exp": lambda x: x[0].exp(), "abs": lambda x: x[0].abs(),
    "sigmoid": lambda x: x[0].sigmoid(), "tanh": lambda x: x[0].tanh(), "relu": lambda x: F.relu(x[0]),
    "leaky_relu": lambda x: F.leaky_relu(x[0], 0.1), "elu": lambda x: F.elu(x[0], 0.7), "gelu": lambda x: F.gelu(x[0]),
    "gelu_tanh": lambda x: F.gelu(x[0], approximate="tanh"), "silu": lambda x: F.silu(x[0]),
    "softplus": lambda x: F.softplus(x[0], beta=2, threshold=3), "erf": lambda x: torch.erf(x[0]),
    "clamp": lambda x: x[0].clamp(-0.5, 0.75), "square": lambda x: x[0].square(), "sin": lambda x: x[0].sin(),
    "cos": lambda x: x[0].cos(), "sign": lambda x: x[0].sign(), "log": lambda x: x[0].log(), "sqrt": lambda x: x[0].sqrt(),
    "rsqrt": lambda x: x[0].rsqrt(), "reciprocal": lambda x: x[0].reciprocal(),
    "add_broadcast": lambda x: x[0] + x[1], "sub_broadcast": lambda x: x[0] - x[1], "mul_transposed": lambda x: x[0] * x[1].T,
    "div": lambda x: x[0] / x[1], "pow": lambda x: x[0] ** x[1], "maximum": lambda x: torch.maximum(x[0], x[1]),
    "minimum": lambda x: torch.minimum(x[0], x[1]), "scalar_ops": lambda x: (x[0] * 3 + 1) / 2,
    "where_lt": lambda x: torch.where(x[0] < x[1], x[0], x[1] * 2), "compare_ge": lambda x: (x[0] >= x[1]).float(),
    "sum_rows": lambda x: x[0].sum(1), "sum_cols": lambda x: x[0].sum(0), "sum_wide": lambda x: x[0].sum(1),
    "sum_all": lambda x: x[0].sum(), "mean_var": lambda x: x[0].var(0) + x[0].mean(0),
    "max_values": lambda x: x[0].max(1).values, "argmax": lambda x: x[0].argmax(0).float(),
    "softmax": lambda x: x[0].softmax(1), "log_softmax": lambda x: x[0].log_softmax(0),
    "cross_entropy": lambda x: F.cross_entropy(x[0], torch.arange(64, device=x[0].device) % 33),
    "gather": lambda x: x[0].gather(1, x[1]), "scatter_add": lambda x: x[0].scatter_add(1, x[1], x[2]),
    "index_select": lambda x: x[0].index_select(0, x[1]), "index_add": lambda x: x[0].index_add(0, x[1], x[2]),
    "one_hot": lambda x: F.one_hot(x[0], 70).float(), "contiguous_transposed": lambda x: x[0].T.contiguous(),
    "cast_f64_i64": lambda x: (x[0] * 10).double().long().float(), "concat_slices": lambda x: torch.cat([x[0][2:9], x[1][:3]]),
    "matmul": lambda x: x[0] @ x[1].T, "matmul_batched_broadcast": lambda x: x[1] @ x[0], "matmul_f64": lambda x: x[0] @ x[1],
    "linear_mlp": lambda x: F.relu(x[0] @ x[1].T + x[2]),
    "conv2d_groups_dilation": lambda x: F.conv2d(x[0], x[1], x[2], stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
    "conv2d_1x1": lambda x: F.conv2d(x[0], x[1]),
    "conv_transpose2d": lambda x: F.conv_transpose2d(x[0], x[1], x[2], stride=2, padding=1),
    "max_pool2d": lambda x: F.max_pool2d(x[0], 3, 2, 1),
    "avg_pool2d": lambda x: F.avg_pool2d(x[0], 3, 2, 1, count_include_pad=False),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x[0], (4, 3)),
    "batch_norm_train": lambda x: F.batch_norm(x[0], None, None, x[1], x[2], training=True, eps=1e-5),
    "layer_norm": lambda x: F.layer_norm(x[0], (20,), x[1], x[2], 1e-5),
    "group_norm": lambda x: F.group_norm(x[0], 2, x[1], x[2], 1e-5),
    "lstm": lambda x: torch.lstm(x[0], (x[0].new_zeros(1, 5, 16), x[0].new_zeros(1, 5, 16)), x[1:5], True, 1, 0.0, False, False, False)[0],
    "gru": lambda x: torch.gru(x[0], x[0].new_zeros(1, 5, 16), x[1:5], True, 1, 0.0, False, False, False)[0],
    "rnn_tanh": lambda x: torch.rnn_tanh(x[0], x[0].new_zeros(1, 5, 16), x[1:5], True, 1, 0.0, False, False, False)[0],
    "attention_causal": lambda x: F.scaled_dot_product_attention(x[0], x[1], x[2], is_causal=True),
    "cast_bfloat16": lambda x: x[0].bfloat16().float(),
    # autocast's GEMM: bfloat16 operands, float32 accumulation and result (PyTorch's bf16 GEMM
    # would round its result to bfloat16 too).
    "autocast_matmul": lambda x: x[0].bfloat16().float() @ x[1].bfloat16().float().T,
}


def compare_ops(dump, device):
    names = sorted({k.split("/")[0] for k in dump})
    worst, failures = 0.0, []
    for name in names:
        inputs = [dump[f"{name}/input{i}"].to(device) for i in range(8) if f"{name}/input{i}" in dump]
        ours = dump[f"{name}/output"].to(device).double()
        if name not in OPS:
            failures.append(f"{name}: no PyTorch counterpart")
            continue
        theirs = OPS[name](inputs).double().reshape(ours.shape)
        # Normwise: the largest difference over the reference's largest magnitude (at least 1).
        error = ((ours - theirs).abs().max() / theirs.abs().max().clamp(min=1)).item() if ours.numel() else 0.0
        tolerance = 1e-10 if inputs[0].dtype == torch.float64 else 1e-5
        print(f"{'ok  ' if error <= tolerance else 'FAIL'} torch {name}: {error:.2e}")
        worst = max(worst, error)
        if error > tolerance:
            failures.append(name)
    return failures


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims :]), dtype=torch.uint8).reshape(shape)


def mlp_epoch(data, device):
    images = (read_idx(f"{data}/train-images-idx3-ubyte.gz").float() / 255 - 0.2860) / 0.3530
    labels = read_idx(f"{data}/train-labels-idx1-ubyte.gz").long()
    test_x = (read_idx(f"{data}/t10k-images-idx3-ubyte.gz").float() / 255 - 0.2860) / 0.3530
    test_y = read_idx(f"{data}/t10k-labels-idx1-ubyte.gz").long()
    x, y = images.reshape(-1, 784).to(device), labels.to(device)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    ).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x), device=device)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(0, len(x), 64):
        batch = order[i : i + 64]
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x[batch]), y[batch]).backward()
        optimizer.step()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(test_x.reshape(-1, 784).to(device)).argmax(1) == test_y.to(device)).float().mean().item()
    return len(x) / seconds, accuracy


def matmul_tflops(n, device):
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    torch.cuda.synchronize()
    repeats = 5 if n >= 4096 else 20
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e12


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--neuron", required=True)
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    failures = compare_ops(read_safetensors(args.dump), device)
    with open(args.neuron) as f:
        neuron = json.load(f)
    rate, accuracy = mlp_epoch(args.data, device)
    print("\n| figure | Neuron | PyTorch | Neuron / PyTorch |\n|---|---|---|---|")
    ours = neuron.get("mlp_cuda_samples_per_s", 0)
    print(f"| MLP 784-256-128-10, one epoch, samples/s | {ours:,.0f} | {rate:,.0f} | {ours / rate:.2f}× |")
    print(f"| MLP test accuracy after the epoch | {neuron.get('mlp_cuda_test_accuracy', 0):.4f} | {accuracy:.4f} | |")
    for n in [1024, 2048, 4096, 8192]:
        theirs = matmul_tflops(n, device)
        ours = neuron.get(f"matmul_{n}_tflops", 0)
        print(f"| matmul {n}, float32, TFLOP/s | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f}× |")
    if failures:
        print(f"{len(failures)} op(s) differ from PyTorch: {', '.join(failures)}")
        sys.exit(1)
    print("every op matches PyTorch on the GPU")


if __name__ == "__main__":
    main()
