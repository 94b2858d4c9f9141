"""Reference token ids from Hugging Face `tokenizers` for Neuron's WordPiece tokenizer.

    make models && .venv/bin/python Tests/NeuronDataTests/Fixtures/make_tokenizer_fixtures.py

Reads models/all-MiniLM-L6-v2/tokenizer.json and writes, one case per line (no trailing
newline), in Tests/NeuronDataTests/Fixtures/:
- tokenizer_cases.txt: the input texts: 260 lines of Debian's fortunes (a seeded sample of the
  non-empty lines of every topic) and hand-written cases: accents, CJK, emoji, punctuation
  runs, very long words, numbers, empty and blank lines, control and zero-width characters,
  special tokens written in the text, and a text of over 256 tokens;
- tokenizer_ids.txt: the ids of each case with [CLS] and [SEP], no truncation, space-separated;
- tokenizer_ids_256.txt: the same truncated to 256 tokens, as sentence-transformers encodes;
- tokenizer_decoded.txt: tokenizers' decode of each case's ids (special tokens skipped).
"""

import glob
import os
import random

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")

lines = []
for path in sorted(glob.glob("/usr/share/games/fortunes/*.u8")):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines += [line.rstrip("\n") for line in f if line.strip() and line.strip() != "%"]
random.Random(0).shuffle(lines)
fortunes = [line.replace("\r", "") for line in lines[:260]]

crafted = [
    "Café déjà vu: a naïve façade in Ångström-scale Zürich — résumé, coöperate, señor.",
    "e\u0301 composed by a combining accent, and precomposed é; İstanbul, Straße, ΣΊΣΥΦΟΣ, Ærøskøbing.",
    "我爱自然语言处理。東京タワーに行きました、한국어 텍스트도 있어요。",
    "Mixed 中文 and English: 深度学习 is deep learning (深層学習).",
    "I ❤️ 🍕 and 👍🏽!! 🤖🚀✨ emoji 😀😃😄 in a row 👨‍👩‍👧‍👦.",
    "Wait...what?!?! ---- ((nested (parens))) [brackets] {braces} <angles> ~~~ ^^^ @@@ ### $$$ %%% &&& ***",
    "\"Quotes\" 'single' «guillemets» „low“ ‘curly’ — en–dash and em—dash … ellipsis",
    "a" * 99,
    "b" * 100,
    "c" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis " * 3,
    "supercalifragilisticexpialidocious" * 4,
    "3.14159 1,000,000 2026-12-02 #42 $19.99 50% 0x1F 1e-12 ½ ² ³ ① Ⅻ",
    "",
    "   ",
    "\t tabs\tand  double  spaces \t",
    "zero\u200bwidth\u200cjoiners\u200d and a soft\u00adhyphen, NUL\u0000char, bell\u0007, replacement\ufffd.",
    "[CLS] special [SEP] tokens [MASK] in the [UNK] text [PAD]",
    "HeLLo WoRLD, ThIs Is MiXeD CaSe.",
    "http://example.com/path?query=1&x=y user@example.org C++ C# .NET node.js",
    "Ünïcödé ÀÉÎÕÜ àéîõü ĀĒĪŌŪ ǍĚǏǑǓ ąęįųœ ßÞðþ",
    "Привет, как дела? Ελληνικά κείμενα. עברית ועוד. العربية أيضا. हिन्दी भी।",
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),
]
cases = fortunes + crafted
assert all("\n" not in c and "\r" not in c for c in cases)

tokenizer = Tokenizer.from_file(os.path.join(ROOT, "models", "all-MiniLM-L6-v2", "tokenizer.json"))
tokenizer.no_padding()
tokenizer.no_truncation()
full = [tokenizer.encode(c).ids for c in cases]
decoded = [tokenizer.decode(ids) for ids in full]
tokenizer.enable_truncation(max_length=256)
truncated = [tokenizer.encode(c).ids for c in cases]
assert any(len(ids) > 256 for ids in full)

def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write("\n".join(rows))

write("tokenizer_cases.txt", cases)
write("tokenizer_ids.txt", [" ".join(map(str, ids)) for ids in full])
write("tokenizer_ids_256.txt", [" ".join(map(str, ids)) for ids in truncated])
write("tokenizer_decoded.txt", decoded)
print(f"{len(cases)} cases; longest {max(map(len, full))} tokens")
