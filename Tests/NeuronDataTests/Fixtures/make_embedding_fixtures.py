"""Reference sentence embeddings from sentence-transformers for Neuron's SentenceEncoder.

    make models && .venv/bin/python Tests/NeuronDataTests/Fixtures/make_embedding_fixtures.py

Loads models/all-MiniLM-L6-v2 with sentence-transformers (Transformer, mean pooling, Normalize;
max_seq_length 256) and writes, in Tests/NeuronDataTests/Fixtures/:
- embedding_sentences.txt: the sentences, one per line (short, long, over 256 tokens,
  punctuation, accents, CJK, emoji, an empty line);
- embeddings.safetensors: "embeddings" float32 [N, 384] from model.encode(batch_size=8), and
  "similarity" float64 [2]: the cosines of the README's two sentence pairs.
"""

import os

import torch
from safetensors.torch import save_file
from sentence_transformers import SentenceTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
torch.set_num_threads(2)

sentences = [
    "A man is playing a guitar.",
    "Someone plays an instrument.",
    "The stock market fell sharply.",
    "A woman is slicing an onion in the kitchen.",
    "Deep learning models need a lot of data.",
    "Neural networks are trained with gradient descent.",
    "The cat sat on the mat.",
    "It is raining heavily in Paris today.",
    "Café déjà vu: a naïve façade in Zürich.",
    "我爱自然语言处理。",
    "I ❤️ 🍕 and 👍🏽!!",
    "Wait...what?!?! ---- ((nested)) [brackets]",
    "",
    "Hi",
    "supercalifragilisticexpialidocious " * 3,
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),
    "Q: What is the capital of France? A: Paris, of course.",
    "Fortune favors the bold; the rest of us read the manual.",
]
model = SentenceTransformer(os.path.join(ROOT, "models", "all-MiniLM-L6-v2"), device="cpu")
assert model.max_seq_length == 256
embeddings = model.encode(sentences, batch_size=8, convert_to_tensor=True, normalize_embeddings=False)
pairs = model.encode(["A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell sharply."],
                     convert_to_tensor=True)
similarity = torch.stack([torch.cosine_similarity(pairs[0], pairs[1], dim=0), torch.cosine_similarity(pairs[0], pairs[2], dim=0)])
with open(os.path.join(HERE, "embedding_sentences.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(sentences))
save_file({"embeddings": embeddings.float().contiguous(), "similarity": similarity.double()}, os.path.join(HERE, "embeddings.safetensors"))
print(f"{len(sentences)} sentences; similarities {similarity.tolist()}")
