"""`neuron train --model M --epochs 1` next to `neuron bench M`: the training samples/s a user
gets from the CLI (progress bar, per-batch metrics, logs, checkpoints, the non-finite guard)
against the benchmark's bare loop, in interleaved rounds on the same machine. Prints one JSON
line per model with the medians and their ratio."""
import argparse, csv, json, statistics, subprocess, tempfile

parser = argparse.ArgumentParser()
parser.add_argument("--neuron", default=".build/release/neuron")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("models", nargs="+")
args = parser.parse_args()

for model in args.models:
    bench, train = [], []
    for _ in range(args.rounds):
        out = subprocess.run([args.neuron, "bench", model], check=True, capture_output=True, text=True).stdout
        bench.append(json.loads(out.strip().splitlines()[-1])["samples_per_s"])
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run([args.neuron, "train", "--model", model, "--epochs", "1", "--lr", "1e-3", "--out", folder],
                           check=True, capture_output=True)
            with open(folder + "/metrics.csv") as f:
                train.append(float(next(csv.DictReader(f))["samples_per_s"]))
    b, t = statistics.median(bench), statistics.median(train)
    print(json.dumps({"model": model, "bench_samples_per_s": round(b), "train_samples_per_s": round(t),
                      "train_over_bench": round(t / b, 3), "bench_rounds": [round(x) for x in bench],
                      "train_rounds": [round(x) for x in train]}))
