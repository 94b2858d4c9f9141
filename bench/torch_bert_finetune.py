"""PyTorch reference for `neuron bench bert-finetune`, the training steps of `neuron finetune
--task text-topics --mode finetune`: transformers' BertModel loaded from all-MiniLM-L6-v2,
masked mean pooling and a linear head, cross-entropy, AdamW (lr 5e-5, the head 20×, weight
decay 0.01), batches of 16 fortunes from the eight default topics in a fixed order (a stride of
7,919 through them), at most 128 tokens, each batch padded to its longest text, tokenised once
before timing, 2 threads. Prints one JSON line: samples/s over `--steps` steps after
`--warmup` untimed ones, and the mean tokens per batch.

    .venv/bin/python bench/torch_bert_finetune.py [--model-dir models/all-MiniLM-L6-v2] [--steps 30]
"""

import argparse
import json
import os
import time

import torch
from tokenizers import Tokenizer
from transformers import BertModel

TOPICS = ["computers", "education", "food", "law", "love", "politics", "science", "sports"]


def fortunes(directory):
    """Entries between `%` lines, whitespace collapsed; empty and non-UTF-8 entries skipped
    (as Neuron's FortuneTopics)."""
    texts, labels = [], []
    for label, topic in enumerate(TOPICS):
        entry = []
        lines = open(os.path.join(directory, topic), "rb").read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for line in lines + [b"%"]:
            if line in (b"%", b"%\r"):
                try:
                    text = " ".join(b"\n".join(entry).decode("utf-8").split())
                    if text:
                        texts.append(text)
                        labels.append(label)
                except UnicodeDecodeError:
                    pass
                entry = []
            else:
                entry.append(line)
    return texts, labels


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default="models/all-MiniLM-L6-v2")
    parser.add_argument("--text-dir", default="/usr/share/games/fortunes")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    texts, labels = fortunes(args.text_dir)
    tokenizer = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(128)
    tokenizer.no_padding()
    # The order `neuron bench bert-finetune` uses: a stride through all texts.
    order = [i * 7919 % len(texts) for i in range(len(texts))]
    batches = []
    for step in range(args.warmup + args.steps):
        chosen = order[step * 16:(step + 1) * 16]
        encodings = tokenizer.encode_batch([texts[i] for i in chosen])
        longest = max(len(e.ids) for e in encodings)
        ids = torch.tensor([e.ids + [0] * (longest - len(e.ids)) for e in encodings])
        batches.append((ids, (ids != 0).long(), torch.tensor([labels[i] for i in chosen])))
    bert = BertModel.from_pretrained(args.model_dir, add_pooling_layer=False)
    head = torch.nn.Linear(bert.config.hidden_size, len(TOPICS))
    bert.train()
    optimizer = torch.optim.AdamW([{"params": bert.parameters()}, {"params": head.parameters(), "lr": 1e-3}],
                                  lr=5e-5, weight_decay=0.01)

    def step(ids, mask, targets):
        hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        loss = torch.nn.functional.cross_entropy(head(pooled), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    for ids, mask, targets in batches[:args.warmup]:
        step(ids, mask, targets)
    start = time.perf_counter()
    for ids, mask, targets in batches[args.warmup:]:
        loss = step(ids, mask, targets)
    seconds = time.perf_counter() - start
    tokens = sum(ids.numel() for ids, _, _ in batches[args.warmup:]) / args.steps
    print(json.dumps({"name": "bert_finetune", "framework": "pytorch", "texts": len(texts), "samples_per_s": 16 * args.steps / seconds,
                      "seconds": seconds, "tokens_per_batch": tokens, "final_loss": loss}))


if __name__ == "__main__":
    main()
