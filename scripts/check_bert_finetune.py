"""Checks that PyTorch reloads a MiniLM fine-tuned by `neuron finetune --task text-topics --mode
finetune`: encoder.safetensors loads strictly into transformers' BertModel (built from the
model folder's config.json), head.safetensors into an nn.Linear, and mean pooling over the
real tokens plus the head gives the logits Neuron stored in check.safetensors, to 1e-4.

    .venv/bin/python scripts/check_bert_finetune.py runs/finetune-text-topics-finetune [models/all-MiniLM-L6-v2]
"""

import sys

import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertModel


def main(run, model_dir):
    config = BertConfig.from_json_file(f"{model_dir}/config.json")
    bert = BertModel(config, add_pooling_layer=True)
    state = load_file(f"{run}/encoder.safetensors")
    # Newer transformers keep position_ids as a non-persistent buffer; everything else is strict.
    if "embeddings.position_ids" not in bert.state_dict():
        state.pop("embeddings.position_ids", None)
    bert.load_state_dict(state, strict=True)
    bert.eval()
    head_state = load_file(f"{run}/head.safetensors")
    head = torch.nn.Linear(head_state["weight"].shape[1], head_state["weight"].shape[0])
    head.load_state_dict(head_state, strict=True)
    check = load_file(f"{run}/check.safetensors")
    ids = check["ids"]
    mask = (ids != 0).long()
    with torch.no_grad():
        hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).float()
        logits = head((hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9))
    difference = (logits - check["logits"]).abs().max().item()
    print(f"{tuple(ids.shape)} ids: max |PyTorch − Neuron| logit difference {difference:.2e}")
    if difference > 1e-4:
        sys.exit("finetune interop FAILED")
    print("finetune interop OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "models/all-MiniLM-L6-v2")
