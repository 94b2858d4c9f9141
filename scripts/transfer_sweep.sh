#!/usr/bin/env bash
# Runs `neuron finetune` for every mode, labels-per-class and seed of docs/transfer.md, for the
# tasks given (default: digits fashion-split text-topics; also digits-imagenet, fashion and
# fashion-224, the transfers from ImageNet's EfficientNet-Lite0), then gathers every run's row
# under runs/transfer/ into runs/transfer/results.csv (task,mode,labels_per_class,seed,...).
# Re-running one task replaces its runs and keeps the others'.
#   scripts/transfer_sweep.sh [neuron binary] [task ...]
set -euo pipefail
NEURON=${1:-.build/release/neuron}
shift || true
tasks=${*:-digits fashion-split text-topics}
mkdir -p runs/transfer
# The row's task is the label (digits-imagenet, fashion-224), the command's the task behind it.
run() {  # label mode N seed [extra arguments]
    local label=$1 mode=$2 n=$3 seed=$4 labels=() task
    shift 4
    local dir="runs/transfer/$label-$mode-$n-$seed"
    task=${label%-imagenet}
    task=${task%-224}
    [ "$n" = all ] || labels=(--labels-per-class "$n")
    mkdir -p "$dir"
    "$NEURON" finetune --task "$task" --mode "$mode" "${labels[@]}" --seed "$seed" --out "$dir" "$@" > "$dir.log" 2>&1 ||
        { echo "failed: $label $mode $n $seed"; return; }
    sed -i "2s/^$task,/$label,/" "$dir/result.csv"
    echo "$label $mode N=$n seed $seed: $(tail -n 1 "$dir.log")"
}
sweep() {  # label "extra arguments" labels-per-class-list modes...
    local label=$1 extra=$2 counts=$3; shift 3
    for mode in "$@"; do for n in $counts; do for seed in 0 1 2; do
        # shellcheck disable=SC2086
        run "$label" "$mode" "$n" "$seed" $extra
    done; done; done
}
for task in $tasks; do
    case $task in
    digits) sweep digits "" "10 50 all" scratch frozen frozen-convs finetune ;;
    digits-imagenet) sweep digits-imagenet "--pretrained efficientnet-lite0" "10 50 all" probe finetune-top finetune ;;
    fashion) sweep fashion "" "10 50 all" probe finetune-top finetune scratch ;;
    fashion-224) sweep fashion-224 "--resolution 224" "10" probe ;;
    fashion-split)
        "$NEURON" finetune --task fashion-split --mode pretrain --seed 0 > runs/transfer/fashion-split-pretrain.log 2>&1
        echo "fashion-split pretrain: $(tail -n 1 runs/transfer/fashion-split-pretrain.log)"
        sweep fashion-split "" "10 50 all" scratch frozen frozen-convs finetune ;;
    text-topics) sweep text-topics "" "10 50 all" probe scratch finetune ;;
    *) echo "unknown task $task (digits, digits-imagenet, fashion, fashion-224, fashion-split, text-topics)"; exit 2 ;;
    esac
done
out=runs/transfer/results.csv
echo "task,mode,labels_per_class,seed,train_examples,test_accuracy,macro_f1,seconds" > "$out"
for task in digits digits-imagenet fashion fashion-224 fashion-split text-topics; do
    for file in runs/transfer/"$task"-*/result.csv; do if [ -f "$file" ]; then tail -n 1 "$file"; fi; done
done >> "$out"
echo "wrote $out"
