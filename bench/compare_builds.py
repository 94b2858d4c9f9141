"""Two builds of `neuron` side by side: `neuron bench` suites run alternately by each binary,
several rounds, medians and the ratio new/old per figure. Used to check that a change to the
build (flags, kernel dispatch) costs nothing:

    git worktree add /tmp/old <commit> && (cd /tmp/old && swift build -c release)
    python3 bench/compare_builds.py --old /tmp/old/.build/release/neuron --new .build/release/neuron
"""
import argparse
import json
import statistics
import subprocess

SUITES = [["ops"], ["mlp"], ["lenet", "--batches", "300"], ["resnet20", "--batches", "60"], ["lstm", "--batches", "200"],
          ["autoencoder"], ["gan", "--batches", "300"]]
# Figures where lower is better; the ratio is then old/new so that above 1 always means faster.
LOWER_IS_BETTER = {"us_per_op", "us_per_step"}


def run(binary, suite):
    out = subprocess.run([binary, "bench"] + suite, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        record = json.loads(line)
        for key, value in record.items():
            if key in ("gflops", "us_per_op", "us_per_step", "gb_per_s", "samples_per_s"):
                yield record["name"], key, value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("suites", nargs="*", help="suite names (default: all)")
    args = parser.parse_args()
    suites = [s for s in SUITES if not args.suites or s[0] in args.suites]
    figures = {}
    for round_index in range(args.rounds):
        order = [("old", args.old), ("new", args.new)]
        if round_index % 2:
            order.reverse()
        for suite in suites:
            for label, binary in order:
                for name, key, value in run(binary, suite):
                    figures.setdefault((name, key), {}).setdefault(label, []).append(value)
    print(f"{'figure':34s} {'old':>12s} {'new':>12s} {'speed ratio':>12s}")
    for (name, key), values in figures.items():
        old, new = statistics.median(values["old"]), statistics.median(values["new"])
        ratio = old / new if key in LOWER_IS_BETTER else new / old
        print(f"{name + ' ' + key:34s} {old:12.2f} {new:12.2f} {ratio:11.3f}x")


if __name__ == "__main__":
    main()
