#!/usr/bin/env python3
"""JAX (CPU, XLA) reference for `neuron bench`: the same models, data, optimiser and batch as
bench/torch_<model>.py (`make bench-peers` runs the three side by side).

Usage: jax_bench.py MODEL [--batches N] [--epochs E] [--threads T]
Prints one JSON line: name, samples_per_s, train_seconds, metric_name, metric (plus
samples_per_s_incl_compile, compile_seconds). Fastest idiomatic path: the whole step
(batch gather from the in-memory dataset, forward, backward, Adam) is one jax.jit function with
parameters and optimiser state donated; steps are dispatched asynchronously and the loop
blocks on the first step (compile, timed apart) and at the end. Models are plain functions on
parameter pytrees (no flax/optax installed): PyTorch's default inits (uniform +-1/sqrt(fan_in)),
PyTorch's Adam (bias-corrected), BatchNorm with batch statistics in training and running
statistics (momentum 0.1, unbiased variance) for the test, NHWC convolutions (XLA CPU's native
layout), the LSTM as lax.scan over the 28 rows with PyTorch's gate order and two biases.
Threads: XLA's CPU thread pool is sized from the cores the process may use; --threads sets
the process's CPU affinity to the first T cores before JAX starts.
"""
import argparse, os, sys

p = argparse.ArgumentParser()
p.add_argument("model", choices=["mlp", "lenet", "resnet", "lstm", "autoencoder", "gan"])
p.add_argument("--batches", type=int, default=0, help="stop after N training batches (0: full epochs)")
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--lr", type=float, default=1e-3)
A = p.parse_args()
if hasattr(os, "sched_setaffinity"):
    cpus = sorted(os.sched_getaffinity(0))[:A.threads]
    os.sched_setaffinity(0, cpus)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fmnist  # noqa: E402


class Init:
    def __init__(self, seed): self.key = jax.random.PRNGKey(seed)
    def _next(self):
        self.key, k = jax.random.split(self.key); return k
    def uniform(self, shape, bound):
        return jax.random.uniform(self._next(), shape, jnp.float32, -bound, bound)
    def linear(self, fin, fout):
        b = 1.0 / np.sqrt(fin)
        return {"w": self.uniform((fin, fout), b), "b": self.uniform((fout,), b)}
    def conv(self, cin, cout, k, bias=True):
        b = 1.0 / np.sqrt(cin * k * k)
        p = {"w": self.uniform((k, k, cin, cout), b)}
        if bias: p["b"] = self.uniform((cout,), b)
        return p


def dense(p, x): return x @ p["w"] + p["b"]


def conv(p, x, stride=1, pad=0):
    y = lax.conv_general_dilated(x, p["w"], (stride, stride), [(pad, pad), (pad, pad)],
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + p["b"] if "b" in p else y


def maxpool2(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def bn_init(c): return {"g": jnp.ones((c,)), "b": jnp.zeros((c,))}, {"mean": jnp.zeros((c,)), "var": jnp.ones((c,))}


def bn(p, s, x, train):
    """BatchNorm2d over NHWC; returns (y, new running stats)."""
    if train:
        mean = x.mean(axis=(0, 1, 2)); var = x.var(axis=(0, 1, 2))
        n = x.shape[0] * x.shape[1] * x.shape[2]
        s = {"mean": 0.9 * s["mean"] + 0.1 * lax.stop_gradient(mean),
             "var": 0.9 * s["var"] + 0.1 * lax.stop_gradient(var) * n / (n - 1)}
    else:
        mean, var = s["mean"], s["var"]
    return (x - mean) * lax.rsqrt(var + 1e-5) * p["g"] + p["b"], s


# ---- models: init() -> (params, state); apply(params, state, x, train) -> (logits, state) ----

def mlp():
    i = Init(0)
    params = {"l1": i.linear(784, 256), "l2": i.linear(256, 128), "l3": i.linear(128, 10)}
    def apply(p, s, x, train):
        x = x.reshape(x.shape[0], -1)
        return dense(p["l3"], jax.nn.relu(dense(p["l2"], jax.nn.relu(dense(p["l1"], x))))), s
    return params, {}, apply


def lenet():
    i = Init(0)
    params = {"c1": i.conv(1, 6, 5), "c2": i.conv(6, 16, 5),
              "f1": i.linear(400, 120), "f2": i.linear(120, 84), "f3": i.linear(84, 10)}
    def apply(p, s, x, train):
        x = maxpool2(jax.nn.relu(conv(p["c1"], x, pad=2)))
        x = maxpool2(jax.nn.relu(conv(p["c2"], x))).reshape(x.shape[0], -1)
        return dense(p["f3"], jax.nn.relu(dense(p["f2"], jax.nn.relu(dense(p["f1"], x))))), s
    return params, {}, apply


def resnet():
    i = Init(0)
    plan = []
    cin = 16
    for cout, stride in [(16, 1), (32, 2), (64, 2)]:
        for k in range(3):
            plan.append((cin, cout, stride if k == 0 else 1)); cin = cout
    params, state = {"stem": i.conv(1, 16, 3, bias=False)}, {}
    params["stem_bn"], state["stem_bn"] = bn_init(16)
    for n, (ci, co, st) in enumerate(plan):
        bp, bs = {"c1": i.conv(ci, co, 3, False), "c2": i.conv(co, co, 3, False)}, {}
        bp["bn1"], bs["bn1"] = bn_init(co); bp["bn2"], bs["bn2"] = bn_init(co)
        if st != 1 or ci != co:
            bp["sc"] = i.conv(ci, co, 1, False); bp["sbn"], bs["sbn"] = bn_init(co)
        params[f"b{n}"], state[f"b{n}"] = bp, bs
    params["head"] = i.linear(64, 10)

    def apply(p, s, x, train):
        ns = {}
        x, ns["stem_bn"] = bn(p["stem_bn"], s["stem_bn"], conv(p["stem"], x, pad=1), train)
        x = jax.nn.relu(x)
        for n, (ci, co, st) in enumerate(plan):
            bp, bs, nb = p[f"b{n}"], s[f"b{n}"], {}
            y, nb["bn1"] = bn(bp["bn1"], bs["bn1"], conv(bp["c1"], x, st, 1), train)
            y, nb["bn2"] = bn(bp["bn2"], bs["bn2"], conv(bp["c2"], jax.nn.relu(y), 1, 1), train)
            if "sc" in bp:
                sc, nb["sbn"] = bn(bp["sbn"], bs["sbn"], conv(bp["sc"], x, st, 0), train)
            else:
                sc = x
            x = jax.nn.relu(y + sc); ns[f"b{n}"] = nb
        return dense(p["head"], x.mean(axis=(1, 2))), ns
    return params, state, apply


def lstm():
    i = Init(0); h = 128; b = 1.0 / np.sqrt(h)
    params = {"w_ih": i.uniform((28, 4 * h), b), "w_hh": i.uniform((h, 4 * h), b),
              "b_ih": i.uniform((4 * h,), b), "b_hh": i.uniform((4 * h,), b), "head": i.linear(h, 10)}
    def apply(p, s, x, train):
        xs = x.reshape(x.shape[0], 28, 28).transpose(1, 0, 2)  # time-major
        xw = xs @ p["w_ih"] + (p["b_ih"] + p["b_hh"])         # input projection for all steps at once
        def cell(carry, xt):
            hh, cc = carry
            gates = xt + hh @ p["w_hh"]
            ig, fg, gg, og = jnp.split(gates, 4, axis=1)
            cc = jax.nn.sigmoid(fg) * cc + jax.nn.sigmoid(ig) * jnp.tanh(gg)
            hh = jax.nn.sigmoid(og) * jnp.tanh(cc)
            return (hh, cc), None
        z = jnp.zeros((x.shape[0], h), x.dtype)
        (hh, _), _ = lax.scan(cell, (z, z), xw)
        return dense(p["head"], hh), s
    return params, {}, apply


# ---- Adam, PyTorch's ----

def adam_init(params):
    z = jax.tree_util.tree_map(jnp.zeros_like, params)
    return {"m": z, "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": jnp.zeros((), jnp.float32)}


def adam_update(params, grads, st, lr, b1=0.9, b2=0.999, eps=1e-8):
    t = st["t"] + 1
    m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, st["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, st["v"], grads)
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    params = jax.tree_util.tree_map(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
    return params, {"m": m, "v": v, "t": t}


def xent(logits, y):
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1).mean()


def classifier(build, xtr, ytr, xte, yte, bs, batches, epochs, lr):
    params, state, apply = build()
    opt = adam_init(params)

    def loss_fn(p, s, x, y):
        logits, s = apply(p, s, x, True)
        return xent(logits, y), s

    def _step(p, s, o, X, Y, j):
        (loss, s), g = jax.value_and_grad(loss_fn, has_aux=True)(p, s, X[j], Y[j])
        p, o = adam_update(p, g, o, lr)
        return p, s, o, loss
    step = jax.jit(_step, donate_argnums=(0, 1, 2))
    X, Y = jax.device_put(xtr), jax.device_put(ytr)
    clock = fmnist.Clock(1); loss = None
    for j in fmnist.batches(xtr.shape[0], bs, batches, epochs):
        params, state, opt, loss = step(params, state, opt, X, Y, j)
        clock.step(loss.block_until_ready)
    r = clock.done(lambda: jax.block_until_ready((params, state, opt)), bs)
    predict = jax.jit(lambda p, s, x: jnp.argmax(apply(p, s, x, False)[0], axis=1))
    correct = 0
    for i in range(0, xte.shape[0], 1000):
        correct += int((np.asarray(predict(params, state, xte[i:i + 1000])) == yte[i:i + 1000]).sum())
    return r, "test_accuracy", correct / xte.shape[0]


def autoencoder(xtr, xte, bs, batches, epochs, lr):
    i = Init(0)
    params = {"e1": i.linear(784, 128), "e2": i.linear(128, 32), "d1": i.linear(32, 128), "d2": i.linear(128, 784)}
    def apply(p, x):
        z = dense(p["e2"], jax.nn.relu(dense(p["e1"], x)))
        return jax.nn.sigmoid(dense(p["d2"], jax.nn.relu(dense(p["d1"], z))))
    raw_tr = (xtr * fmnist.STD + fmnist.MEAN).reshape(xtr.shape[0], -1).astype(np.float32)
    raw_te = (xte * fmnist.STD + fmnist.MEAN).reshape(xte.shape[0], -1).astype(np.float32)
    opt = adam_init(params)
    def loss_fn(p, b): return ((apply(p, b) - b) ** 2).mean()
    def _step(p, o, R, j):
        b = R[j]
        loss, g = jax.value_and_grad(loss_fn)(p, b)
        p, o = adam_update(p, g, o, lr)
        return p, o, loss
    step = jax.jit(_step, donate_argnums=(0, 1))
    R = jax.device_put(raw_tr)
    clock = fmnist.Clock(1)
    for j in fmnist.batches(raw_tr.shape[0], bs, batches, epochs):
        params, opt, loss = step(params, opt, R, j)
        clock.step(loss.block_until_ready)
    r = clock.done(lambda: jax.block_until_ready((params, opt)), bs)
    mse = float(jax.jit(loss_fn)(params, raw_te))
    return r, "test_mse", mse


def gan(xtr, bs, batches, epochs, lr):
    i = Init(0)
    G = {"l1": i.linear(64, 256), "l2": i.linear(256, 512), "l3": i.linear(512, 784)}
    D = {"l1": i.linear(784, 512), "l2": i.linear(512, 256), "l3": i.linear(256, 1)}
    lrelu = lambda x: jax.nn.leaky_relu(x, 0.2)  # noqa: E731
    def gen(p, z): return jnp.tanh(dense(p["l3"], lrelu(dense(p["l2"], lrelu(dense(p["l1"], z))))))
    def dis(p, x): return dense(p["l3"], lrelu(dense(p["l2"], lrelu(dense(p["l1"], x)))))
    def bce(logits, target):  # with logits, mean, numerically stable
        return jnp.mean(jnp.maximum(logits, 0) - logits * target + jnp.log1p(jnp.exp(-jnp.abs(logits))))
    real_all = ((xtr * fmnist.STD + fmnist.MEAN) * 2 - 1).reshape(xtr.shape[0], -1).astype(np.float32)
    og, od = adam_init(G), adam_init(D)
    def d_loss(dp, real, fake): return bce(dis(dp, real), 1.0) + bce(dis(dp, fake), 0.0)
    def g_loss(gp, dp, z): return bce(dis(dp, gen(gp, z)), 1.0)
    def _step(gp, dp, og, od, key, R, j):
        key, k = jax.random.split(key)
        z = jax.random.normal(k, (bs, 64))
        fake = lax.stop_gradient(gen(gp, z))
        ld, gd = jax.value_and_grad(d_loss)(dp, R[j], fake)
        dp, od = adam_update(dp, gd, od, lr, 0.5, 0.999)
        lg, gg = jax.value_and_grad(g_loss)(gp, dp, z)
        gp, og = adam_update(gp, gg, og, lr, 0.5, 0.999)
        return gp, dp, og, od, key, ld, lg
    step = jax.jit(_step, donate_argnums=(0, 1, 2, 3, 4))
    R = jax.device_put(real_all); key = jax.random.PRNGKey(1)
    clock = fmnist.Clock(1)
    for j in fmnist.batches(real_all.shape[0], bs, batches, epochs):
        G, D, og, od, key, ld, lg = step(G, D, og, od, key, R, j)
        clock.step(ld.block_until_ready)
    r = clock.done(lambda: jax.block_until_ready((G, D, og, od)), bs)
    return r, "final_d_loss", float(ld)


def main():
    xtr, ytr = fmnist.load("train"); xte, yte = fmnist.load("test")
    xtr, xte = xtr[..., None], xte[..., None]  # NHWC
    if A.model == "autoencoder":
        r = autoencoder(xtr, xte, A.batch_size, A.batches, A.epochs, A.lr)
    elif A.model == "gan":
        r = gan(xtr, A.batch_size, A.batches, A.epochs, 2e-4)
    else:
        build = {"mlp": mlp, "lenet": lenet, "resnet": resnet, "lstm": lstm}[A.model]
        r = classifier(build, xtr, ytr, xte, yte, A.batch_size, A.batches, A.epochs, A.lr)
    fmnist.emit(A.model, "jax-" + jax.__version__, A.threads, *r,
                backend=jax.default_backend(), cpus=len(os.sched_getaffinity(0)))


if __name__ == "__main__":
    main()
