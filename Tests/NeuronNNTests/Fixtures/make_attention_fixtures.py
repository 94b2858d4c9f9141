"""Reference values from PyTorch for Neuron's attention and Transformer layers.

Run from the repository root:

    .venv/bin/python Tests/NeuronNNTests/Fixtures/make_attention_fixtures.py

Writes Tests/NeuronNNTests/Fixtures/attention.safetensors, all float64, torch.manual_seed(0)
once, cases in the order below. Each case stores the module's state_dict under
`<case>.state.<name>`, its inputs, its output `.out` (and attention weights `.weights`), and
the gradients of (out · g).sum() for a stored random `.g`: `.grad_<input>` and
`.grad.<parameter>`. Modules run in evaluation mode (no dropout).

- sdpa_bool / sdpa_additive / sdpa_causal: F.scaled_dot_product_attention on [2, 3, 4, 5]
  queries and [2, 3, 6, 5] keys and values, with a bool mask (True = attend) that leaves one
  query row with no key, an additive mask, or is_causal on square inputs. PyTorch gives NaN
  on the fully masked row; Neuron gives zeros, so that row is stored as zeros.
- mha: nn.MultiheadAttention(8, 2) sequence-first, query [4, 3, 8], key/value [5, 3, 8], a
  key_padding_mask and a bool attn_mask; weights averaged over heads.
- mha_batch_first: nn.MultiheadAttention(8, 4, batch_first=True) self-attention on [3, 4, 8]
  with a float attn_mask.
- encoder_post: nn.TransformerEncoderLayer(8, 2, 16) post-norm ReLU, batch-first [3, 5, 8]
  with a key_padding_mask.
- encoder_pre: the same with norm_first=True and GELU.
- stack: nn.TransformerEncoder of 2 post-norm GELU layers and a final LayerNorm, [5, 3, 8]
  sequence-first, causal mask.
"""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

torch.set_num_threads(1)
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
out = {}


def store(case, module, inputs, result, weights=None):
    for k, v in module.state_dict().items():
        out[f"{case}.state.{k}"] = v.detach().clone()
    for name, x in inputs.items():
        out[f"{case}.{name}"] = x.detach().clone()
    g = torch.randn_like(result)
    out[f"{case}.out"] = result.detach().clone()
    out[f"{case}.g"] = g
    if weights is not None:
        out[f"{case}.weights"] = weights.detach().clone()
    (result * g).sum().backward()
    for name, x in inputs.items():
        if x.requires_grad:
            out[f"{case}.grad_{name}"] = x.grad.clone()
    for name, p in module.named_parameters():
        out[f"{case}.grad.{name}"] = p.grad.clone()


def sdpa_cases():
    q = torch.randn(2, 3, 4, 5, requires_grad=True)
    k = torch.randn(2, 3, 6, 5, requires_grad=True)
    v = torch.randn(2, 3, 6, 5, requires_grad=True)
    allowed = torch.rand(2, 1, 4, 6) > 0.4
    allowed[..., 0] = True
    allowed[1, 0, 2, :] = False  # a query with nothing to attend to
    additive = torch.randn(4, 6)
    additive[1, 3] = float("-inf")
    for case, kwargs in [("sdpa_bool", {"attn_mask": allowed}), ("sdpa_additive", {"attn_mask": additive})]:
        for t in (q, k, v):
            t.grad = None
        scale = 1 / 5 ** 0.5
        scores = q @ k.transpose(-2, -1) * scale
        mask = kwargs["attn_mask"]
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
        weights = torch.softmax(scores, -1)
        weights = torch.nan_to_num(weights, nan=0.0)  # Neuron's convention for rows with no key
        result = weights @ v
        reference = F.scaled_dot_product_attention(q, k, v, **kwargs)
        finite = ~torch.isnan(reference)
        assert torch.allclose(reference[finite], result[finite])
        out[f"{case}.mask"] = mask
        store(case, nn.Module(), {"q": q, "k": k, "v": v}, result, weights)
    qs = torch.randn(2, 3, 5, 5, requires_grad=True)
    ks = torch.randn(2, 3, 5, 5, requires_grad=True)
    vs = torch.randn(2, 3, 5, 5, requires_grad=True)
    result = F.scaled_dot_product_attention(qs, ks, vs, is_causal=True)
    store("sdpa_causal", nn.Module(), {"q": qs, "k": ks, "v": vs}, result)


def mha_cases():
    mha = nn.MultiheadAttention(8, 2)
    with torch.no_grad():
        mha.in_proj_bias.normal_()
        mha.out_proj.bias.normal_()
    mha.eval()
    query = torch.randn(4, 3, 8, requires_grad=True)
    key = torch.randn(5, 3, 8, requires_grad=True)
    value = torch.randn(5, 3, 8, requires_grad=True)
    padding = torch.tensor([[False] * 5, [False, False, False, True, True], [False, True, False, False, True]])
    attn_mask = torch.zeros(4, 5, dtype=torch.bool)
    attn_mask[0, 1] = True
    result, weights = mha(query, key, value, key_padding_mask=padding, attn_mask=attn_mask)
    out["mha.key_padding_mask"], out["mha.attn_mask"] = padding, attn_mask
    store("mha", mha, {"query": query, "key": key, "value": value}, result, weights)

    mha = nn.MultiheadAttention(8, 4, batch_first=True)
    mha.eval()
    x = torch.randn(3, 4, 8, requires_grad=True)
    float_mask = torch.randn(4, 4)
    result, weights = mha(x, x, x, attn_mask=float_mask)
    out["mha_batch_first.attn_mask"] = float_mask
    store("mha_batch_first", mha, {"x": x}, result, weights)


def encoder_cases():
    padding = torch.tensor([[False] * 5, [False, False, False, True, True], [False, False, False, False, True]])
    for case, kwargs in [("encoder_post", {}), ("encoder_pre", {"norm_first": True, "activation": "gelu"})]:
        layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, **kwargs)
        with torch.no_grad():
            for name, p in layer.named_parameters():
                if "norm" in name:
                    p.add_(torch.randn_like(p) * 0.1)
        layer.eval()
        x = torch.randn(3, 5, 8, requires_grad=True)
        result = layer(x, src_key_padding_mask=padding)
        out[f"{case}.key_padding_mask"] = padding.clone()
        store(case, layer, {"x": x}, result)

    layer = nn.TransformerEncoderLayer(8, 2, 16, activation="gelu")
    stack = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
    stack.eval()
    x = torch.randn(5, 3, 8, requires_grad=True)
    causal = nn.Transformer.generate_square_subsequent_mask(5)
    result = stack(x, mask=causal, is_causal=True)
    store("stack", stack, {"x": x}, result)


sdpa_cases()
mha_cases()
encoder_cases()
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention.safetensors")
save_file({k: v.contiguous().clone() for k, v in out.items()}, path)
print(f"wrote {path}: {len(out)} tensors")
