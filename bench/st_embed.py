"""sentence-transformers reference for `neuron embed`: all-MiniLM-L6-v2 from models/ on PyTorch
(2 threads), model.encode(batch_size=32) of one sentence per line of FILE, timed without the
model load. Prints one JSON line: sentences_per_s, seconds, and the embeddings' shape.

    .venv/bin/python bench/st_embed.py FILE [--model-dir models/all-MiniLM-L6-v2]
"""

import argparse
import json
import time

import torch
from sentence_transformers import SentenceTransformer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--model-dir", default="models/all-MiniLM-L6-v2")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with open(args.input, encoding="utf-8") as f:
        sentences = f.read().split("\n")
    if sentences and sentences[-1] == "":
        sentences.pop()
    model = SentenceTransformer(args.model_dir, device="cpu")
    model.encode(sentences[:32], batch_size=32)  # warm-up
    start = time.perf_counter()
    embeddings = model.encode(sentences, batch_size=32)
    seconds = time.perf_counter() - start
    print(json.dumps({"name": "embed", "impl": "sentence-transformers", "sentences_per_s": len(sentences) / seconds,
                      "seconds": seconds, "shape": list(embeddings.shape)}))


if __name__ == "__main__":
    main()
