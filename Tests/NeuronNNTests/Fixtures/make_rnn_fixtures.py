"""Reference values from PyTorch for Neuron's recurrent layers and cells.

Run from the repository root:

    .venv/bin/python Tests/NeuronNNTests/Fixtures/make_rnn_fixtures.py

Writes Tests/NeuronNNTests/Fixtures/rnn.safetensors. torch.manual_seed(0) once, cases in
the order below; within a case: the module is built (PyTorch's default initialisation),
then x, h0, c0 (when used), then the seeds g_out, g_h, g_c. All float64 except the
classifier case (float32) and lengths (int64).

Each layer case stores its state_dict entries under `<case>.<name>`, `.x`, optional `.h0`,
`.c0`, `.lengths`, the outputs `.out`, `.h_n`, `.c_n` (LSTM), and the gradients of
(out·g_out).sum() + (h_n·g_h).sum() [+ (c_n·g_c).sum()]: `.grad_x`, `.grad_h0`, `.grad_c0`,
`.grad_<parameter>`. With lengths the input is packed (enforce_sorted=False) and the output
padded back to the full length (zeros past each end).

The classifier case is nn.LSTM(28, 32, batch_first=True) + nn.Linear(32, 10) on the final
hidden state, trained 30 Adam steps (lr 1e-2) on random data in float32; it stores the
trained state_dict (`classifier.lstm.*`, `classifier.fc.*`), a batch `classifier.x`
[16, 28, 28] and PyTorch's logits `classifier.logits`.
"""

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from safetensors.torch import save_file

torch.set_num_threads(1)
torch.manual_seed(0)
out = {}

CASES = [
    # name, constructor, x shape, lengths, with initial states
    ("rnn_tanh", lambda: nn.RNN(3, 4, num_layers=2), [5, 2, 3], None, True),
    ("rnn_relu_bidirectional", lambda: nn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True), [2, 5, 3], None, False),
    ("lstm", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), [5, 3, 3], None, True),
    ("lstm_lengths", lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), [3, 5, 3], [5, 2, 4], True),
    ("lstm_nobias", lambda: nn.LSTM(3, 4, bias=False), [4, 2, 3], None, False),
    ("gru", lambda: nn.GRU(3, 4, num_layers=2), [5, 2, 3], None, True),
    ("gru_lengths", lambda: nn.GRU(3, 4, bidirectional=True, batch_first=True), [3, 5, 3], [3, 5, 1], False),
]

for name, make, shape, lengths, with_states in CASES:
    layer = make().double()
    for key, value in layer.state_dict().items():
        out[f"{name}.{key}"] = value.clone()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    directions = 2 if layer.bidirectional else 1
    batch = shape[0] if layer.batch_first else shape[1]
    state_shape = (layer.num_layers * directions, batch, layer.hidden_size)
    is_lstm = isinstance(layer, nn.LSTM)
    h0 = c0 = None
    if with_states:
        h0 = torch.randn(*state_shape, dtype=torch.float64, requires_grad=True)
        if is_lstm:
            c0 = torch.randn(*state_shape, dtype=torch.float64, requires_grad=True)
    state = (h0, c0) if is_lstm and with_states else h0
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=layer.batch_first, enforce_sorted=False)
    result, final = layer(inp, state)
    if lengths is not None:
        result, _ = pad_packed_sequence(result, batch_first=layer.batch_first, total_length=x.shape[1 if layer.batch_first else 0])
    h_n, c_n = final if is_lstm else (final, None)
    g_out = torch.randn_like(result)
    g_h = torch.randn_like(h_n)
    loss = (result * g_out).sum() + (h_n * g_h).sum()
    if is_lstm:
        g_c = torch.randn_like(c_n)
        loss = loss + (c_n * g_c).sum()
        out[f"{name}.c_n"] = c_n.detach()
        out[f"{name}.g_c"] = g_c
    loss.backward()
    out[f"{name}.x"] = x.detach()
    out[f"{name}.out"] = result.detach()
    out[f"{name}.h_n"] = h_n.detach()
    out[f"{name}.g_out"] = g_out
    out[f"{name}.g_h"] = g_h
    out[f"{name}.grad_x"] = x.grad
    if lengths is not None:
        out[f"{name}.lengths"] = torch.tensor(lengths, dtype=torch.int64)
    if h0 is not None:
        out[f"{name}.h0"] = h0.detach()
        out[f"{name}.grad_h0"] = h0.grad
    if c0 is not None:
        out[f"{name}.c0"] = c0.detach()
        out[f"{name}.grad_c0"] = c0.grad
    for key, value in layer.named_parameters():
        out[f"{name}.grad_{key}"] = value.grad

# Cells: one step from given states.
for name, make in [("rnncell", lambda: nn.RNNCell(3, 4)), ("lstmcell", lambda: nn.LSTMCell(3, 4)), ("grucell", lambda: nn.GRUCell(3, 4))]:
    cell = make().double()
    for key, value in cell.state_dict().items():
        out[f"{name}.{key}"] = value.clone()
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    if name == "lstmcell":
        c0 = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
        h, c = cell(x, (h0, c0))
        g_h, g_c = torch.randn_like(h), torch.randn_like(c)
        ((h * g_h).sum() + (c * g_c).sum()).backward()
        out.update({f"{name}.c0": c0.detach(), f"{name}.c_n": c.detach(), f"{name}.g_c": g_c, f"{name}.grad_c0": c0.grad})
    else:
        h = cell(x, h0)
        g_h = torch.randn_like(h)
        (h * g_h).sum().backward()
    out.update({f"{name}.x": x.detach(), f"{name}.h0": h0.detach(), f"{name}.h_n": h.detach(), f"{name}.g_h": g_h,
                f"{name}.grad_x": x.grad, f"{name}.grad_h0": h0.grad})
    for key, value in cell.named_parameters():
        out[f"{name}.grad_{key}"] = value.grad


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 32, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
data, labels = torch.randn(64, 28, 28), torch.randint(0, 10, (64,))
for _ in range(30):
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(data), labels).backward()
    optimizer.step()
for key, value in model.state_dict().items():
    out[f"classifier.{key}"] = value.clone()
x = torch.randn(16, 28, 28)
with torch.no_grad():
    out["classifier.x"] = x
    out["classifier.logits"] = model(x)

save_file({k: v.contiguous() for k, v in out.items()}, "Tests/NeuronNNTests/Fixtures/rnn.safetensors",
          metadata={"generator": "make_rnn_fixtures.py"})
print(len(out), "tensors")
