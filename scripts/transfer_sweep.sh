#!/usr/bin/env bash
# Runs `neuron finetune` for every task, mode, labels-per-class and seed of docs/transfer.md and
# collects the result rows in runs/transfer/results.csv (task,mode,labels_per_class,seed,...).
#   scripts/transfer_sweep.sh [neuron binary]
set -euo pipefail
NEURON=${1:-.build/release/neuron}
mkdir -p runs/transfer
out=runs/transfer/results.csv
echo "task,mode,labels_per_class,seed,train_examples,test_accuracy,macro_f1,seconds" > "$out"
run() {  # task mode N seed
    local dir="runs/transfer/$1-$2-$3-$4" labels=()
    [ "$3" = all ] || labels=(--labels-per-class "$3")
    "$NEURON" finetune --task "$1" --mode "$2" "${labels[@]}" --seed "$4" --out "$dir" > "$dir.log" 2>&1 || { echo "failed: $1 $2 $3 $4"; return; }
    tail -n 1 "$dir/result.csv" >> "$out"
    echo "$1 $2 N=$3 seed $4: $(tail -n 1 "$dir.log")"
}
for mode in scratch frozen finetune; do for n in 10 50 all; do for seed in 0 1 2; do run digits $mode $n $seed; done; done; done
for mode in probe scratch; do for n in 10 50 all; do for seed in 0 1 2; do run text-topics $mode $n $seed; done; done; done
for n in 10 50; do for seed in 0 1 2; do run text-topics finetune $n $seed; done; done
run text-topics finetune all 0
