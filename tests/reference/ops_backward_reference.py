#!/usr/bin/python3
"""tests/reference/ops_backward_reference.py: the PyTorch autograd twin of
the training ops (backward passes and losses, backends/backward_args.h).

Writes fixed inputs (torch.manual_seed(1), float32), the upstream gradient
dout and the float64 autograd gradients of every backward op to one
PANFIX01 file (format: tests/fixture.h) that tests/test_grad_vs_torch.c
compares the ref backend against. The forwards are ops_reference.py's
conventions (imported from it), run in float64 on the float32 inputs, so
the gradients are exact answers to the question the C code is asked; float
attributes are rounded to float32 first.

Records of case i of op "<op>" ("matmul_backward" for the composed matmul
gradient, which is not an op of its own):
  <op>/<i>/<input>      inputs (f32 / i32 / u8) and 0-D f64 attributes
  <op>/<i>/dout         the upstream gradient (f32); losses have none
  <op>/<i>/grad_<name>  the expected gradient of input <name> (f64)
  <op>/<i>/loss         losses: the expected loss (f64, shape (1))
  <op>/<i>/out, lse     attention: the expected forward output and
                        log-sum-exp (f64, (B, Hq, Tq); -inf where a query
                        sees no key)
  <op>/<i>/case         0-D f64 marker, one per case
Attention extends ops_reference.attention_reference with the ROUNDS mask
(mask 3: causal and k_round == 0 or k_round >= q_round - N + 2).

Usage: ops_backward_reference.py OUTPUT.bin  (exit 0 on success, 2 without
torch)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ops_reference as ref  # exits 2 with the apt-get line without torch
from ops_reference import d, f32, randn, torch, F

NONE, CAUSAL, BLOCK, ROUNDS = 0, 1, 2, 3


def grads_of(fx, op, inputs, forward, attrs, extra=None, loss=False):
    """Runs forward on float64 leaves made from `inputs` (name -> f32
    tensor), backpropagates a random dout (or 1 for a loss) and adds one
    case with every input, attribute and gradient."""
    leaves = {name: d(t).requires_grad_(True) for name, t in inputs.items()}
    out = forward(**leaves)
    fields = dict(inputs)
    fields.update(attrs)
    fields.update(extra or {})
    if loss:
        out.backward()
        fields["loss"] = out.detach().reshape(1)
    else:
        dout = randn(*out.shape)
        out.backward(d(dout))
        fields["dout"] = dout
    for name, leaf in leaves.items():
        fields["grad_" + name] = leaf.grad
    fields["case"] = 1
    fx.case(op, **fields)


def matmul_cases(fx):
    specs = [  # batch_a, batch_b, m, k, n, trans_a, trans_b
        (0, 0, 5, 7, 3, False, False), (0, 0, 17, 33, 9, False, True),
        (2, 0, 6, 20, 11, True, False), (3, 3, 4, 16, 5, True, True),
        (2, 1, 7, 64, 12, False, True), (3, 0, 4, 9, 6, True, True)]
    for batch_a, batch_b, m, k, n, ta, tb in specs:
        a = randn(*([batch_a] if batch_a else []), *((k, m) if ta else (m, k)))
        b = randn(*([batch_b] if batch_b else []), *((n, k) if tb else (k, n)))
        alpha = f32(0.75)

        def forward(a, b, bias):
            opa = a.transpose(-1, -2) if ta else a
            opb = b.transpose(-1, -2) if tb else b
            return alpha * (opa @ opb) + bias
        grads_of(fx, "matmul_backward", {"a": a, "b": b, "bias": randn(n)},
                 forward, {"trans_a": int(ta), "trans_b": int(tb),
                           "alpha": alpha})


def conv_cases(fx):
    for n, c, h, w, oc, kh, kw, stride, pad in [
            (1, 3, 8, 8, 4, 3, 3, 1, 1), (2, 5, 7, 9, 6, 3, 3, 2, 1),
            (2, 3, 11, 13, 8, 4, 4, 2, 1), (1, 4, 6, 5, 2, 1, 1, 1, 0)]:
        grads_of(fx, "conv2d_backward",
                 {"x": randn(n, c, h, w), "weight": randn(oc, c, kh, kw, scale=0.5),
                  "bias": randn(oc)},
                 lambda x, weight, bias: F.conv2d(x, weight, bias, stride=stride,
                                                  padding=pad),
                 {"stride": stride, "pad": pad})
    for shape, factor in [((2, 3, 5, 7), 2), ((1, 4, 4, 3), 3)]:
        grads_of(fx, "upsample_nearest_backward", {"x": randn(*shape)},
                 lambda x: F.interpolate(x, scale_factor=factor, mode="nearest"),
                 {"factor": factor})


def norm_cases(fx):
    eps = f32(1e-5)
    for shape, groups in [((2, 8, 4, 4), 4), ((3, 4), 2), ((2, 6, 7), 6)]:
        grads_of(fx, "group_norm_backward",
                 {"x": randn(*shape) + 0.5, "gamma": randn(shape[1]) + 1,
                  "beta": randn(shape[1])},
                 lambda x, gamma, beta: F.group_norm(x, groups, gamma, beta, eps),
                 {"groups": groups, "eps": eps})
    for shape in [(7,), (3, 5, 64), (2, 17, 33)]:
        grads_of(fx, "layer_norm_backward",
                 {"x": randn(*shape) * 2 + 1, "gamma": randn(shape[-1]) + 1,
                  "beta": randn(shape[-1])},
                 lambda x, gamma, beta: F.layer_norm(x, (shape[-1],), gamma,
                                                     beta, eps),
                 {"eps": eps})
    for shape in [(1, 7), (3, 5, 64), (2, 3, 4, 48)]:
        rms_eps = f32(1e-6)

        def rms(x, gamma):  # Qwen2RMSNorm
            return gamma * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True)
                                            + rms_eps))
        grads_of(fx, "rms_norm_backward",
                 {"x": randn(*shape), "gamma": randn(shape[-1]) + 1}, rms,
                 {"eps": rms_eps})


def pointwise_cases(fx):
    for shape, scale in [((3, 7), 3.0), ((2, 5, 33), 3.0), ((4, 50), 10.0)]:
        grads_of(fx, "softmax_backward", {"x": randn(*shape, scale=scale)},
                 lambda x: torch.softmax(x, dim=-1), {})
    for shape in [(7,), (3, 17), (2, 3, 5, 33)]:
        grads_of(fx, "silu_backward", {"x": randn(*shape, scale=3.0)},
                 lambda x: F.silu(x), {})
        grads_of(fx, "gelu_backward", {"x": randn(*shape, scale=3.0)}, lambda x: F.gelu(x),
                 {"mode": 0})
        grads_of(fx, "gelu_backward", {"x": randn(*shape, scale=3.0)},
                 lambda x: F.gelu(x, approximate="tanh"), {"mode": 1})
        grads_of(fx, "swiglu_backward",
                 {"gate": randn(*shape, scale=3.0), "up": randn(*shape)},
                 lambda gate, up: F.silu(gate) * up, {})
    for b, t, c in [(1, 1, 1), (2, 5, 33), (3, 16, 64)]:
        grads_of(fx, "modulate_backward",
                 {"x": randn(b, t, c), "shift": randn(b, c), "scale": randn(b, c)},
                 lambda x, shift, scale: x * (1 + scale[:, None, :]) + shift[:, None, :],
                 {})
        grads_of(fx, "gate_add_backward",
                 {"residual": randn(b, t, c), "y": randn(b, t, c),
                  "gate": randn(b, c)},
                 lambda residual, y, gate: residual + gate[:, None, :] * y, {})


def rope_cases(fx):
    for b, t, h, dim, dims, theta, max_pos in [
            (2, 5, 3, 64, 1, 10000.0, 100), (1, 7, 2, 6, 1, 1e6, 50),
            (2, 6, 2, 8, 2, 10000.0, 15), (1, 5, 3, 12, 2, 100.0, 31)]:
        shape = (b, t) if dims == 1 else (b, t, 2)
        positions = torch.randint(0, max_pos + 1, shape, dtype=torch.int32)
        half = dim // 2

        def rope(x):
            if dims == 1:
                return ref.rope_1d(x, positions, f32(theta))
            return torch.cat((ref.rope_1d(x[..., :half], positions[..., 0], f32(theta)),
                              ref.rope_1d(x[..., half:], positions[..., 1], f32(theta))),
                             dim=-1)
        grads_of(fx, "rope_backward", {"x": randn(b, t, h, dim)}, rope,
                 {"dims": dims, "theta": f32(theta)}, {"positions": positions})


def layout_cases(fx):
    for vocab, dim, ids_shape, top in [(10, 7, (5,), 9), (300, 64, (2, 9), 299),
                                       (50, 33, (2, 3, 4), 3)]:
        ids = torch.randint(0, top + 1, ids_shape, dtype=torch.int32)
        grads_of(fx, "embedding_backward", {"table": randn(vocab, dim)},
                 lambda table: F.embedding(ids.long(), table), {}, {"ids": ids})
    for n, c, h, w, p in [(2, 3, 8, 12, 2), (1, 4, 16, 16, 4), (2, 5, 6, 9, 3)]:
        def patchify(image):
            return (image.reshape(n, c, h // p, p, w // p, p)
                    .permute(0, 2, 4, 1, 3, 5)
                    .reshape(n, (h // p) * (w // p), c * p * p))

        def unpatchify(tokens):
            return (tokens.reshape(n, h // p, w // p, c, p, p)
                    .permute(0, 3, 1, 4, 2, 5).reshape(n, c, h, w))
        grads_of(fx, "patchify_backward", {"image": randn(n, c, h, w)},
                 patchify, {"patch": p})
        grads_of(fx, "unpatchify_backward",
                 {"tokens": randn(n, (h // p) * (w // p), c * p * p)},
                 unpatchify, {"patch": p})


def attention(q, k, v, mask, scale, kv_len=None, q_block=None, k_block=None,
              key_mask=None, q_round=None, k_round=None, window=0):
    """softmax(q k^T * scale + mask) v on (B, T, H, D) and the lse
    (B, Hq, Tq); a query that sees no key gives zeros (and lse -inf),
    without NaN anywhere in the graph."""
    batch, tq, hq, _ = q.shape
    tk, hkv = k.shape[1], k.shape[2]
    kk = k.repeat_interleave(hq // hkv, dim=2).transpose(1, 2)
    vv = v.repeat_interleave(hq // hkv, dim=2).transpose(1, 2)
    scores = q.transpose(1, 2) @ kk.transpose(-1, -2) * scale    # (B, Hq, Tq, Tk)
    lengths = (kv_len.long() if kv_len is not None
               else torch.full((batch,), tk, dtype=torch.long))
    i = torch.arange(tq)[None, :, None]
    j = torch.arange(tk)[None, None, :]
    allowed = j < lengths[:, None, None]
    if mask in (CAUSAL, ROUNDS):
        allowed = allowed & (j <= lengths[:, None, None] - tq + i)
    if mask == BLOCK:
        allowed = allowed & (k_block.long()[None, None, :] <= q_block.long()[None, :, None])
    if mask == ROUNDS:
        kr, qr = k_round.long()[:, None, :], q_round.long()[:, :, None]
        allowed = allowed & ((kr == 0) | (kr >= qr - window + 2))
    if key_mask is not None:
        allowed = allowed & (key_mask[:, None, :] != 0)
    allowed = allowed[:, None, :, :].expand_as(scores)
    masked = scores.masked_fill(~allowed, float("-inf"))
    lse = torch.logsumexp(masked, dim=-1)                        # (B, Hq, Tq)
    sees = allowed.any(dim=-1, keepdim=True)
    safe = torch.where(sees, masked, torch.zeros_like(masked))
    weights = torch.softmax(safe, dim=-1) * sees
    return (weights @ vv).transpose(1, 2), lse


def attention_cases(fx):
    specs = [  # b, tq, tk, hq, hkv, d, mask, kv_len, key_mask, extra
        (1, 1, 1, 1, 1, 8, NONE, None, 0, None),
        (2, 7, 13, 4, 4, 16, NONE, None, 0, None),
        (2, 9, 9, 8, 2, 32, CAUSAL, None, 0, None),
        (2, 4, 20, 4, 1, 24, CAUSAL, [10, 4], 0, None),
        (2, 3, 8, 2, 2, 20, NONE, [0, 5], 0, None),
        (1, 12, 12, 4, 2, 16, BLOCK, None, 0, (4, 0)),
        (2, 4, 12, 4, 4, 8, BLOCK, None, 2, (4, 2)),
        (2, 5, 10, 2, 1, 16, CAUSAL, [7, 10], 1, None),
        (2, 17, 17, 4, 2, 8, ROUNDS, None, 0, 2),
        (2, 6, 20, 2, 2, 16, ROUNDS, [20, 14], 1, 4),
        (3, 8, 33, 2, 1, 40, ROUNDS, [33, 8, 17], 0, 3),
    ]
    for b, tq, tk, hq, hkv, dim, mask, kv_len, key_mask, extra_spec in specs:
        scale = f32(1.0 / dim ** 0.5)
        extra = {}
        lengths = kv_len if kv_len is not None else [tk] * b
        if kv_len is not None:
            extra["kv_len"] = torch.tensor(kv_len, dtype=torch.int32)
        if key_mask:
            keep = (torch.rand(b, tk) > 0.25).to(torch.uint8)
            keep[:, 0] = 1
            if key_mask == 2:
                keep[-1, :] = 0
            extra["key_mask"] = keep
        window = 0
        if mask == BLOCK:
            chunk, first = extra_spec
            extra["q_block"] = (first + torch.arange(tq) // chunk).to(torch.int32)
            extra["k_block"] = (torch.arange(tk) // chunk).to(torch.int32)
            if first == 0:
                extra["q_block"][0] = -1
        if mask == ROUNDS:  # 2 round-0 tokens, then rounds of 3
            window = extra_spec
            j = torch.arange(tk)
            k_round = torch.where(j < 2, torch.zeros_like(j), 1 + (j - 2) // 3)
            extra["k_round"] = k_round[None, :].repeat(b, 1).to(torch.int32)
            extra["q_round"] = torch.stack(
                [k_round[lengths[i] - tq:lengths[i]] for i in range(b)]).to(torch.int32)
        inputs = {"q": randn(b, tq, hq, dim), "k": randn(b, tk, hkv, dim),
                  "v": randn(b, tk, hkv, dim)}
        out, lse = attention(d(inputs["q"]), d(inputs["k"]), d(inputs["v"]),
                             mask, scale, window=window, **extra)
        grads_of(fx, "attention_backward", inputs,
                 lambda q, k, v: attention(q, k, v, mask, scale, window=window,
                                           **extra)[0],
                 {"mask": mask, "scale": scale, "round_window": window},
                 dict(extra, out=out, lse=lse))


def loss_cases(fx):
    for shape, weighted in [((4, 3, 8, 8), True), ((3, 33), False), ((1,), False)]:
        weights = randn(shape[0], scale=0.5) + 1 if weighted else None
        for op, fn in [("mse_loss", lambda e: e * e), ("l1_loss", torch.abs)]:
            pred, target = randn(*shape), randn(*shape)

            def loss(pred, target, fn=fn):
                per_item = fn(pred - target).reshape(shape[0], -1).mean(dim=1)
                w = d(weights) if weighted else torch.ones_like(per_item)
                return (w * per_item).mean()
            extra = {"weights": weights} if weighted else {}
            grads_of(fx, op, {"pred": pred, "target": target}, loss,
                     {"grad_scale": 1.0}, extra, loss=True)
    for shape in [(4, 4, 8, 8), (3, 7)]:
        def kl(mean, logvar):
            terms = -0.5 * (1 + logvar - mean * mean - logvar.exp())
            return terms.reshape(shape[0], -1).sum(dim=1).mean()
        grads_of(fx, "kl_loss", {"mean": randn(*shape), "logvar": randn(*shape)},
                 kl, {"grad_scale": 1.0}, loss=True)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: ops_backward_reference.py OUTPUT.bin\n")
        return 1
    torch.manual_seed(1)
    fx = ref.Fixture()
    matmul_cases(fx)
    conv_cases(fx)
    norm_cases(fx)
    pointwise_cases(fx)
    rope_cases(fx)
    layout_cases(fx)
    attention_cases(fx)
    loss_cases(fx)
    fx.write(sys.argv[1])
    print("ops_backward_reference.py: wrote %d records, %d cases, to %s"
          % (len(fx.records), sum(fx.counters.values()), sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
