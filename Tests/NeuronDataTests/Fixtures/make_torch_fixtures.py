"""PyTorch checkpoints for TorchCheckpointTests, written by torch.save in both of its formats.

    .venv/bin/python Tests/NeuronDataTests/Fixtures/make_torch_fixtures.py

- torch_zip.pt / torch_legacy.pt: the same nested dict in the zip and the legacy format:
  tensors of every dtype a state dict holds, a transposed view and an offset slice sharing one
  storage, a parameter, and non-tensor values.
- torch_expected.safetensors: every tensor of those files, contiguous, under its flattened name.
- torch_evil_legacy.pt / torch_evil_zip.pt: pickles that would call os.system.
- torch_truncated_zip.pt / torch_truncated_legacy.pt: the first files cut short.
"""
import collections
import io
import os
import pickle
import zipfile

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
state = collections.OrderedDict()
state["weight"] = base
state["transposed"] = base.t()                  # a non-contiguous view of the same storage
state["slice"] = base[1:3, 2:5]                 # an offset, strided view of the same storage
state["f64"] = torch.randn(3, 2, dtype=torch.float64)
state["f16"] = torch.randn(5).half()
state["bf16"] = torch.randn(2, 3).bfloat16()
state["i64"] = torch.tensor([-(2 ** 40), 3, 7], dtype=torch.int64)
state["i32"] = torch.tensor([[-5, 6], [7, -8]], dtype=torch.int32)
state["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
state["i8"] = torch.tensor([-7, 7], dtype=torch.int8)
state["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
state["flags"] = torch.tensor([True, False, True])
state["scalar"] = torch.tensor(2.5)
state["param"] = torch.nn.Parameter(torch.ones(2, 2) * 3)
checkpoint = {"model": state, "epoch": 3, "note": "not a tensor", "buffers": {"running_mean": torch.zeros(3)}}

torch.save(checkpoint, os.path.join(HERE, "torch_zip.pt"))
torch.save(checkpoint, os.path.join(HERE, "torch_legacy.pt"), _use_new_zipfile_serialization=False)

expected = {f"model.{k}": v.detach().contiguous() for k, v in state.items()}
expected["buffers.running_mean"] = checkpoint["buffers"]["running_mean"]
save_file({k: v.clone() for k, v in expected.items()}, os.path.join(HERE, "torch_expected.safetensors"))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


evil = pickle.dumps(Evil(), protocol=2)
with open(os.path.join(HERE, "torch_evil_legacy.pt"), "wb") as f:
    f.write(evil)
# The zip format with its data.pkl replaced by the same pickle.
buffer = io.BytesIO()
torch.save({"w": torch.ones(2)}, buffer)
with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(os.path.join(HERE, "torch_evil_zip.pt"), "w") as target:
    for item in source.infolist():
        data = evil if item.filename.endswith("data.pkl") else source.read(item)
        target.writestr(item.filename, data)

for name in ["torch_zip.pt", "torch_legacy.pt"]:
    data = open(os.path.join(HERE, name), "rb").read()
    with open(os.path.join(HERE, name.replace("torch_", "torch_truncated_")), "wb") as f:
        f.write(data[: len(data) * 2 // 3])

for name in sorted(os.listdir(HERE)):
    if name.startswith("torch_"):
        print(f"{name:32s} {os.path.getsize(os.path.join(HERE, name)):7d} bytes")
