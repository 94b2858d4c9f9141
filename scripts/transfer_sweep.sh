#!/usr/bin/env bash
# Runs `neuron finetune` for every mode, labels-per-class and seed of docs/transfer.md, for the
# tasks given (default: digits fashion-split text-topics), then gathers every run's row under
# runs/transfer/ into runs/transfer/results.csv (task,mode,labels_per_class,seed,...).
# Re-running one task replaces its runs and keeps the others'.
#   scripts/transfer_sweep.sh [neuron binary] [task ...]
set -euo pipefail
NEURON=${1:-.build/release/neuron}
shift || true
tasks=${*:-digits fashion-split text-topics}
mkdir -p runs/transfer
run() {  # task mode N seed
    local dir="runs/transfer/$1-$2-$3-$4" labels=()
    [ "$3" = all ] || labels=(--labels-per-class "$3")
    mkdir -p "$dir"
    "$NEURON" finetune --task "$1" --mode "$2" "${labels[@]}" --seed "$4" --out "$dir" > "$dir.log" 2>&1 || { echo "failed: $1 $2 $3 $4"; return; }
    echo "$1 $2 N=$3 seed $4: $(tail -n 1 "$dir.log")"
}
sweep() {  # task modes...
    local task=$1; shift
    for mode in "$@"; do for n in 10 50 all; do for seed in 0 1 2; do run "$task" "$mode" "$n" "$seed"; done; done; done
}
for task in $tasks; do
    case $task in
    digits) sweep digits scratch frozen frozen-convs finetune ;;
    fashion-split)
        "$NEURON" finetune --task fashion-split --mode pretrain --seed 0 > runs/transfer/fashion-split-pretrain.log 2>&1
        echo "fashion-split pretrain: $(tail -n 1 runs/transfer/fashion-split-pretrain.log)"
        sweep fashion-split scratch frozen frozen-convs finetune ;;
    text-topics) sweep text-topics probe scratch finetune ;;
    *) echo "unknown task $task (digits, fashion-split, text-topics)"; exit 2 ;;
    esac
done
out=runs/transfer/results.csv
echo "task,mode,labels_per_class,seed,train_examples,test_accuracy,macro_f1,seconds" > "$out"
for task in digits fashion-split text-topics; do
    for file in runs/transfer/"$task"-*/result.csv; do if [ -f "$file" ]; then tail -n 1 "$file"; fi; done
done >> "$out"
echo "wrote $out"
