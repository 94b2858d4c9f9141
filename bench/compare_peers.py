"""Neuron next to its fastest peers on every benchmark model: `neuron bench M`, PyTorch eager
(bench/torch_<model>.py, 2 threads) and JAX with the whole step jitted (bench/jax_bench.py),
each with its first step (JAX's compile) timed apart, in interleaved rounds (each round runs every framework once, so load
drifts hit all of them), and `neuron train --epochs 1` on the same batches. Prints the
processor and a Markdown table: median samples/s, the ratio to the fastest peer, the metric
after the run, `neuron train`'s rate and its ratio to `neuron bench`, and each run's peak
memory (max RSS of the process, median over rounds).

Before each run it waits (up to a minute) for the machine to be idle, and flags a run during
which other processes used more than 5 % of the machine.

    make bench-peers                       # all six models, 3 rounds
    python bench/compare_peers.py --neuron .build/release/neuron --torch .venv/bin/python \
        --jax .venv-jax/bin/python --only mlp,lenet --rounds 3
"""

import argparse
import csv
import json
import os
import re
import selectors
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# model, batches (None: one epoch), JAX's name, `neuron train` learning rate
MODELS = [("mlp", None, "mlp", "1e-3"), ("lenet", None, "lenet", "1e-3"), ("lstm", 300, "lstm", "1e-3"),
          ("resnet20", 150, "resnet", "1e-3"), ("autoencoder", None, "autoencoder", "1e-3"),
          ("gan", 300, "gan", "2e-4")]


def busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return sum(v) - v[3] - v[4], sum(v)


def wait_idle(limit_s=60):
    start = time.time()
    while time.time() - start < limit_s:
        b0, t0 = busy_jiffies(); time.sleep(1); b1, t1 = busy_jiffies()
        if (b1 - b0) / max(t1 - t0, 1) < 0.10:
            return
    print("  (machine still busy after a minute; running anyway)", flush=True)


def timed(command, cwd=None):
    """Runs `command`: (its stdout, its peak memory in MiB, whether other processes used > 5 % of the machine)."""
    hz = os.sysconf("SC_CLK_TCK")
    b0, _ = busy_jiffies(); t0 = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = bytearray(); stderr = bytearray()
    # read both pipes to the end, then reap the child with wait4 for its own peak memory
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, stdout)
    selector.register(process.stderr, selectors.EVENT_READ, stderr)
    while selector.get_map():
        for key, _ in selector.select():
            chunk = os.read(key.fileobj.fileno(), 65536)
            if chunk:
                key.data.extend(chunk)
            else:
                selector.unregister(key.fileobj)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0; b1, _ = busy_jiffies()
    own = usage.ru_utime + usage.ru_stime
    others = max((b1 - b0) / hz - own, 0) / (wall * (os.cpu_count() or 1))
    if process.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        raise SystemExit(f"{' '.join(command)}: exit {process.returncode}: {lines[-1] if lines else ''}")
    return stdout.decode(), usage.ru_maxrss / 1024, others > 0.05


# Models whose share of the compute limit the table reports (the classifiers).
COMPUTE_LIMITED = {"mlp", "lenet", "lstm", "resnet20"}


def last_json(text):
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


def processor():
    name, flags = "unknown", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    wide = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512_bf16", "amx_bf16", "amx_tile") if f in flags]
    return f"{name}, {os.cpu_count()} CPUs, {' '.join(wide) or 'no AVX2'}"


def limit_isa(isa):
    """Narrows every framework's kernels, as on a processor without AVX-512: Neuron's own and
    oneDNN's (NEURON_CPU_ISA, ONEDNN_MAX_CPU_ISA), PyTorch's ATen, XLA's code generation."""
    os.environ.update(NEURON_CPU_ISA=isa, ONEDNN_MAX_CPU_ISA=isa.upper(), ATEN_CPU_CAPABILITY=isa,
                      XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + f" --xla_cpu_max_isa={isa.upper()}").strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--neuron", required=True)
    parser.add_argument("--torch", required=True, help="Python with PyTorch")
    parser.add_argument("--jax", required=True, help="Python with JAX")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated models")
    parser.add_argument("--no-train", action="store_true", help="skip `neuron train`")
    parser.add_argument("--log", default=None, help="append every run as a JSON line to this file")
    parser.add_argument("--isa", choices=["avx2"], default=None,
                        help="limit every framework's CPU kernels to AVX2 (what an AVX2-only processor runs)")
    args = parser.parse_args()
    if args.isa:
        limit_isa(args.isa)
    only = set(args.only.split(",")) if args.only else None
    log = open(args.log, "a") if args.log else None
    print(f"processor: {processor()}" + (f"; kernels limited to {args.isa.upper()}" if args.isa else ""), flush=True)
    gemm_rates = []
    rows = []
    for model, batches, jax_name, lr in MODELS:
        if only and model not in only:
            continue
        limit = ["--batches", str(batches)] if batches else []
        runs = {"neuron": [], "torch": [], "jax": [], "train": []}
        for round_ in range(1, args.rounds + 1):
            if model in COMPUTE_LIMITED:
                # The GEMM rate of this run, between the models' runs: the compute limit's yardstick.
                wait_idle()
                out, _, _ = timed([args.neuron, "bench", "ops"])
                gemm_rates += [json.loads(line)["gflops"] for line in out.splitlines() if '"matmul_1024"' in line]
            commands = {
                "neuron": [args.neuron, "bench", model] + limit,
                "torch": [args.torch, os.path.join(HERE, f"torch_{model}.py")] + limit,
                "jax": [args.jax, os.path.join(HERE, "jax_bench.py"), jax_name, "--threads", "2"] + limit,
            }
            for framework, command in commands.items():
                wait_idle()
                out, rss, contended = timed(command)
                result = last_json(out)
                result.update(max_rss_mib=round(rss, 1), contended=contended)
                runs[framework].append(result)
                print(f"{model:12s} round {round_} {framework:6s} {result['samples_per_s']:>10,.0f} samples/s  "
                      f"{result['metric_name']} {result['metric']:.4f}  {rss:7.1f} MiB" + ("  (contended)" if contended else ""),
                      flush=True)
                if log:
                    log.write(json.dumps({"model": model, "framework": framework, "round": round_, **result}) + "\n")
            if not args.no_train:
                wait_idle()
                with tempfile.TemporaryDirectory() as folder:
                    command = [args.neuron, "train", "--model", model, "--epochs", "1", "--lr", lr, "--seed", "0", "--out", folder]
                    command += ["--steps-per-epoch", str(batches)] if batches else []
                    command += ["--fid-samples", "0"] if model == "gan" else []
                    _, rss, contended = timed(command)
                    with open(os.path.join(folder, "metrics.csv")) as f:
                        rate = float(next(csv.DictReader(f))["samples_per_s"])
                runs["train"].append({"samples_per_s": rate, "max_rss_mib": round(rss, 1), "contended": contended})
                print(f"{model:12s} round {round_} train  {rate:>10,.0f} samples/s  {rss:7.1f} MiB", flush=True)
        rows.append((model, runs))
    print()
    print("| model | Neuron | PyTorch | JAX | Neuron / fastest peer | metric: Neuron / PyTorch / JAX | `neuron train` (/ bench) "
          "| max RSS MiB: Neuron / PyTorch / JAX |")
    print("|---|---|---|---|---|---|---|---|")
    for model, runs in rows:
        rate = {k: statistics.median(r["samples_per_s"] for r in v) for k, v in runs.items() if v}
        rss = {k: statistics.median(r["max_rss_mib"] for r in v) for k, v in runs.items() if v}
        fastest = max(("torch", "jax"), key=lambda k: rate[k])
        metric = [runs[k][-1]["metric"] for k in ("neuron", "torch", "jax")]
        train = f"{rate['train']:,.0f} ({rate['train'] / rate['neuron']:.2f})" if "train" in rate else "–"
        print(f"| {model} | {rate['neuron']:,.0f} | {rate['torch']:,.0f} | {rate['jax']:,.0f} | "
              f"**{rate['neuron'] / rate[fastest]:.2f}×** ({'PyTorch' if fastest == 'torch' else 'JAX'}) | "
              f"{runs['neuron'][-1]['metric_name']} {metric[0]:.4f} / {metric[1]:.4f} / {metric[2]:.4f} | {train} | "
              f"{rss['neuron']:.0f} / {rss['torch']:.0f} / {rss['jax']:.0f} |")
    if gemm_rates:
        best = max(gemm_rates)
        shares = []
        for model, runs in rows:
            if model not in COMPUTE_LIMITED:
                continue
            out = subprocess.run([args.neuron, "summary", "--model", model], capture_output=True, text=True, check=True).stdout
            macs = int(re.search(r"Multiply-accumulates per forward pass: ([0-9,]+)", out).group(1).replace(",", ""))
            limit = best * 1e9 / (6 * macs)  # training ≈ 3 × the forward's 2·MACs FLOPs
            rate = statistics.median(r["samples_per_s"] for r in runs["neuron"])
            shares.append(f"{model} {rate / limit:.1%} (limit {limit:,.0f})")
        print(f"\nShare of the compute limit at the best GEMM rate of the run ({best:.0f} GFLOP/s, matmul 1024), "
              f"training = 6 × forward MACs per sample: {', '.join(shares)}")
    def first(runs, key):
        return statistics.median(r.get(key, 0) for r in runs)
    firsts = [f"{model} {first(runs['neuron'], 'first_step_seconds'):.3f} / {first(runs['torch'], 'first_step_seconds'):.3f} / "
              f"{first(runs['jax'], 'compile_seconds'):.2f} s" for model, runs in rows]
    print(f"\nFirst step, timed apart and left out of every rate (median; Neuron / PyTorch / JAX's compile): {', '.join(firsts)}")


if __name__ == "__main__":
    main()
