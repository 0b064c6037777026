#!/usr/bin/python3
"""tests/reference/ops_reference.py: the PyTorch twin of the 18 compute ops.

Writes fixed inputs (torch.manual_seed(0), float32) and the PyTorch result of
every op to one PANFIX01 file (format: tests/fixture.h) that
tests/test_ref_vs_torch.c compares the ref backend against.

The results are computed in float64 from the float32 inputs, so they are the
exact answer to the question the C code is asked; float attributes (eps,
alpha, scale, theta) are rounded to float32 first, as the C code sees them.
Conventions (backends/backend.h):
  rope        Hugging Face Qwen2 apply_rotary_pos_emb ("rotate half"), on
              (B, T, H, D); 2-D rope: first D/2 values by row, second D/2
              by column, each with the 1-D rule on D/2 values
  patchify    token = py*(W/p) + px, value = c*p*p + dy*p + dx
  gelu        exact (erf) and tanh approximation
  group norm  torch.nn.functional.group_norm
  rms norm    Qwen2RMSNorm
  attention   explicit softmax(q k^T * scale + mask) v with GQA
              repeat_interleave; a query that sees no key gives zeros
  modulate    x * (1 + scale) + shift

Usage: ops_reference.py OUTPUT.bin     (exit 0 on success, 2 without torch)
"""
import os
import struct
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as error:  # CI must install it: never pass silently
    sys.stderr.write(
        "ops_reference.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

DTYPE_CODES = {torch.float32: (0, "<f4"), torch.float64: (1, "<f8"),
               torch.int32: (2, "<i4"), torch.uint8: (3, "u1")}


class Fixture:
    """Collects named tensors and writes them as PANFIX01."""

    def __init__(self):
        self.records = []
        self.counters = {}

    def case(self, op, **fields):
        """Adds one case: fields are tensors, floats or ints; 'expected' is
        the PyTorch result."""
        index = self.counters.get(op, 0)
        self.counters[op] = index + 1
        for field, value in fields.items():
            if not isinstance(value, torch.Tensor):
                value = torch.tensor(float(value), dtype=torch.float64)
            if field == "expected":
                value = value.to(torch.float64)
            self.records.append(("%s/%d/%s" % (op, index, field), value))

    def write(self, path):
        write_panfix(path, self.records)


def write_panfix(path, records):
    """records: [(name, tensor)] -> PANFIX01 (tests/fixture.h), written to a
    temporary file and renamed over `path`."""
    chunks = [b"PANFIX01", struct.pack("<II", 1, len(records))]
    for name, value in records:
        value = value.detach().contiguous().cpu()
        code, numpy_dtype = DTYPE_CODES[value.dtype]
        encoded = name.encode("utf-8")
        chunks.append(struct.pack("<I", len(encoded)) + encoded)
        chunks.append(struct.pack("<II", code, value.dim()))
        chunks.append(struct.pack("<%dq" % value.dim(), *value.shape))
        chunks.append(value.numpy().astype(numpy_dtype).tobytes())
    temporary = path + ".tmp"
    with open(temporary, "wb") as out:
        out.write(b"".join(chunks))
    os.replace(temporary, path)


def f32(value):
    """A float as the C code sees it (rounded to float32)."""
    return torch.tensor(value, dtype=torch.float32).item()


def randn(*shape, scale=1.0):
    return torch.randn(shape, dtype=torch.float32) * scale


def d(t):
    return t.to(torch.float64)


# ---- ops ----

def matmul_cases(fx):
    specs = [  # batch_a, batch_b, m, k, n, trans_a, trans_b, bias, alpha, beta
        (0, 0, 5, 7, 3, False, False, False, 1.0, 0.0),
        (0, 0, 17, 33, 9, False, True, True, 0.5, 0.0),
        (2, 0, 6, 20, 11, True, False, True, 1.0, 0.0),
        (3, 3, 4, 16, 5, True, True, False, 2.0, 1.0),
        (2, 1, 7, 64, 12, False, True, True, 1.0, 1.0),
    ]
    for batch_a, batch_b, m, k, n, trans_a, trans_b, bias, alpha, beta in specs:
        a = randn(*([batch_a] if batch_a else []), *((k, m) if trans_a else (m, k)))
        b = randn(*([batch_b] if batch_b else []), *((n, k) if trans_b else (k, n)))
        opa = d(a).transpose(-1, -2) if trans_a else d(a)
        opb = d(b).transpose(-1, -2) if trans_b else d(b)
        result = f32(alpha) * (opa @ opb)
        fields = {"a": a, "b": b, "trans_a": int(trans_a),
                  "trans_b": int(trans_b), "alpha": f32(alpha), "beta": beta}
        if bias:
            fields["bias"] = randn(n)
            result = result + d(fields["bias"])
        if beta:
            fields["out_init"] = randn(*result.shape)
            result = result + d(fields["out_init"])
        fx.case("matmul", expected=result, **fields)


def conv2d_cases(fx):
    specs = [  # n, c, h, w, oc, kh, kw, stride, pad, bias
        (1, 3, 8, 8, 4, 3, 3, 1, 1, True),
        (2, 5, 7, 9, 6, 3, 3, 2, 1, False),
        (2, 3, 11, 13, 8, 4, 4, 2, 1, True),
        (1, 4, 6, 5, 2, 1, 1, 1, 0, True),
        (1, 2, 9, 6, 3, 3, 1, 1, 1, True),
    ]
    for n, c, h, w, oc, kh, kw, stride, pad, bias in specs:
        x = randn(n, c, h, w)
        weight = randn(oc, c, kh, kw, scale=0.5)
        b = randn(oc) if bias else None
        result = F.conv2d(d(x), d(weight), d(b) if bias else None,
                          stride=stride, padding=pad)
        fields = {"x": x, "weight": weight, "stride": stride, "pad": pad}
        if bias:
            fields["bias"] = b
        fx.case("conv2d", expected=result, **fields)


def upsample_cases(fx):
    for shape, factor in [((1, 1, 1, 1), 2), ((2, 3, 5, 7), 2),
                          ((1, 4, 4, 3), 3), ((1, 2, 3, 3), 1)]:
        x = randn(*shape)
        result = F.interpolate(d(x), scale_factor=factor, mode="nearest")
        fx.case("upsample_nearest", x=x, factor=factor, expected=result)


def norm_cases(fx):
    for shape, groups, affine, eps in [((2, 8, 4, 4), 4, True, 1e-5),
                                       ((1, 6, 5, 3), 3, False, 1e-6),
                                       ((3, 4), 2, True, 1e-5),
                                       ((2, 6, 7), 6, True, 1e-5)]:
        x = randn(*shape) + 0.5
        fields = {"x": x, "groups": groups, "eps": f32(eps)}
        gamma = beta = None
        if affine:
            gamma = fields["gamma"] = randn(shape[1]) + 1
            beta = fields["beta"] = randn(shape[1])
        result = F.group_norm(d(x), groups, d(gamma) if affine else None,
                              d(beta) if affine else None, f32(eps))
        fx.case("group_norm", expected=result, **fields)

    for shape, gamma_on, beta_on in [((7,), True, True), ((3, 5, 64), True, True),
                                     ((2, 17, 33), True, False),
                                     ((4, 2, 3, 16), False, False)]:
        x = randn(*shape) * 2 + 1
        fields = {"x": x, "eps": f32(1e-5)}
        if gamma_on:
            fields["gamma"] = randn(shape[-1]) + 1
        if beta_on:
            fields["beta"] = randn(shape[-1])
        result = F.layer_norm(d(x), (shape[-1],),
                              d(fields["gamma"]) if gamma_on else None,
                              d(fields["beta"]) if beta_on else None, f32(1e-5))
        fx.case("layer_norm", expected=result, **fields)

    for shape in [(1, 7), (3, 5, 64), (2, 3, 4, 48)]:
        x, gamma = randn(*shape), randn(shape[-1]) + 1
        eps = f32(1e-6)
        # Qwen2RMSNorm.forward
        hidden = d(x)
        variance = hidden.pow(2).mean(-1, keepdim=True)
        hidden = hidden * torch.rsqrt(variance + eps)
        fx.case("rms_norm", x=x, gamma=gamma, eps=eps, expected=d(gamma) * hidden)


def pointwise_cases(fx):
    for shape, scale in [((1,), 1.0), ((3, 7), 3.0), ((2, 5, 33), 3.0),
                         ((4, 50), 40.0)]:
        x = randn(*shape, scale=scale)
        fx.case("softmax", x=x, expected=torch.softmax(d(x), dim=-1))
    for shape in [(), (7,), (3, 17), (2, 3, 5, 33)]:
        x = randn(*shape, scale=3.0)
        fx.case("silu", x=x, expected=F.silu(d(x)))
        fx.case("gelu", x=x, mode=0, expected=F.gelu(d(x)))
        fx.case("gelu", x=x, mode=1, expected=F.gelu(d(x), approximate="tanh"))
    for shape in [(), (5,), (3, 33), (2, 4, 4, 17)]:
        gate, up = randn(*shape, scale=3.0), randn(*shape)
        fx.case("swiglu", gate=gate, up=up, expected=F.silu(d(gate)) * d(up))
        a, b = randn(*shape), randn(*shape)
        fx.case("add", a=a, b=b, expected=d(a) + d(b))
    for b, t, c in [(1, 1, 1), (2, 5, 33), (3, 16, 64)]:
        x, shift, scale = randn(b, t, c), randn(b, c), randn(b, c)
        fx.case("modulate", x=x, shift=shift, scale=scale,
                expected=d(x) * (1 + d(scale)[:, None, :]) + d(shift)[:, None, :])
        residual, y, gate = randn(b, t, c), randn(b, t, c), randn(b, c)
        fx.case("gate_add", residual=residual, y=y, gate=gate,
                expected=d(residual) + d(gate)[:, None, :] * d(y))


def rotate_half(x):
    """Hugging Face Qwen2: rotates half the hidden dims of the input."""
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_1d(x, positions, theta):
    """x (B, T, H, D) float64, positions (B, T): Qwen2RotaryEmbedding +
    apply_rotary_pos_emb with the heads axis at dim 2."""
    dim = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = positions.to(torch.float64)[..., None] * inv_freq  # (B, T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)                    # (B, T, D)
    cos, sin = emb.cos()[:, :, None, :], emb.sin()[:, :, None, :]
    return x * cos + rotate_half(x) * sin


def rope_cases(fx):
    for b, t, h, dim, dims, theta, max_pos in [
            (1, 1, 1, 2, 1, 10000.0, 0), (2, 5, 3, 64, 1, 10000.0, 100),
            (1, 7, 2, 6, 1, 1e6, 50), (2, 6, 2, 8, 2, 10000.0, 15),
            (1, 5, 3, 12, 2, 100.0, 31)]:
        x = randn(b, t, h, dim)
        shape = (b, t) if dims == 1 else (b, t, 2)
        positions = torch.randint(0, max_pos + 1, shape, dtype=torch.int32)
        if dims == 1:
            result = rope_1d(d(x), positions, f32(theta))
        else:
            half = dim // 2
            result = torch.cat((rope_1d(d(x[..., :half]), positions[..., 0], f32(theta)),
                                rope_1d(d(x[..., half:]), positions[..., 1], f32(theta))),
                               dim=-1)
        fx.case("rope", x=x, positions=positions, dims=dims, theta=f32(theta),
                expected=result)


def layout_cases(fx):
    for vocab, dim, ids_shape in [(10, 7, (5,)), (300, 64, (2, 9)),
                                  (50, 33, (2, 3, 4))]:
        table = randn(vocab, dim)
        ids = torch.randint(0, vocab, ids_shape, dtype=torch.int32)
        fx.case("embedding", table=table, ids=ids,
                expected=F.embedding(ids.long(), d(table)))
    for n, c, h, w, p in [(1, 1, 2, 2, 2), (2, 3, 8, 12, 2), (1, 4, 16, 16, 4),
                          (2, 5, 6, 9, 3)]:
        image = randn(n, c, h, w)
        tokens = (d(image).reshape(n, c, h // p, p, w // p, p)
                  .permute(0, 2, 4, 1, 3, 5)          # n, py, px, c, dy, dx
                  .reshape(n, (h // p) * (w // p), c * p * p))
        fx.case("patchify", image=image, patch=p, expected=tokens)
        seq = randn(n, (h // p) * (w // p), c * p * p)
        back = (d(seq).reshape(n, h // p, w // p, c, p, p)
                .permute(0, 3, 1, 4, 2, 5)            # n, c, py, dy, px, dx
                .reshape(n, c, h, w))
        fx.case("unpatchify", tokens=seq, patch=p, expected=back)


NONE, CAUSAL, BLOCK = 0, 1, 2


def attention_reference(q, k, v, mask, scale, kv_len=None, q_block=None,
                        k_block=None, key_mask=None):
    """Explicit softmax(q k^T * scale + mask) v on (B, T, H, D) tensors."""
    batch, tq, hq, _ = q.shape
    tk, hkv = k.shape[1], k.shape[2]
    kk = k.repeat_interleave(hq // hkv, dim=2).transpose(1, 2)  # (B, Hq, Tk, D)
    vv = v.repeat_interleave(hq // hkv, dim=2).transpose(1, 2)
    scores = q.transpose(1, 2) @ kk.transpose(-1, -2) * scale    # (B, Hq, Tq, Tk)
    lengths = (kv_len.long() if kv_len is not None
               else torch.full((batch,), tk, dtype=torch.long))
    i = torch.arange(tq)[None, :, None]
    j = torch.arange(tk)[None, None, :]
    allowed = j < lengths[:, None, None]                         # (B, Tq, Tk)
    if mask == CAUSAL:
        allowed = allowed & (j <= lengths[:, None, None] - tq + i)
    if mask == BLOCK:
        allowed = allowed & (k_block.long()[None, None, :] <= q_block.long()[None, :, None])
    if key_mask is not None:
        allowed = allowed & (key_mask[:, None, :] != 0)
    scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
    weights = torch.nan_to_num(torch.softmax(scores, dim=-1), nan=0.0)
    return (weights @ vv).transpose(1, 2)                        # (B, Tq, Hq, D)


def attention_cases(fx):
    # key_mask: 0 none, 1 random (key 0 kept), 2 random and the last batch
    # hides every key; blocks: (chunk, first query block), query 0 of a
    # first-block-0 case gets block -1 and sees no key.
    specs = [  # b, tq, tk, hq, hkv, d, mask, kv_len, key_mask, blocks
        (1, 1, 1, 1, 1, 8, NONE, None, 0, None),
        (2, 7, 13, 4, 4, 16, NONE, None, 0, None),
        (2, 9, 9, 8, 2, 32, CAUSAL, None, 0, None),
        (2, 4, 20, 4, 1, 24, CAUSAL, [10, 4], 0, None),       # KV cache
        (2, 1, 17, 4, 2, 16, CAUSAL, [1, 17], 0, None),       # one decode step
        (2, 3, 8, 2, 2, 20, NONE, [0, 5], 0, None),           # batch 0: no key
        (1, 12, 12, 4, 2, 16, BLOCK, None, 0, (4, 0)),        # chunk-wise
        (2, 4, 12, 4, 4, 8, BLOCK, None, 2, (4, 2)),          # last chunk
        (2, 5, 10, 2, 1, 16, CAUSAL, [7, 10], 1, None),
    ]
    for b, tq, tk, hq, hkv, dim, mask, kv_len, key_mask, blocks in specs:
        q, k, v = randn(b, tq, hq, dim), randn(b, tk, hkv, dim), randn(b, tk, hkv, dim)
        scale = f32(1.0 / dim ** 0.5)
        fields = {"q": q, "k": k, "v": v, "mask": mask, "scale": scale}
        extra = {}
        if kv_len is not None:
            extra["kv_len"] = torch.tensor(kv_len, dtype=torch.int32)
        if key_mask:
            keep = (torch.rand(b, tk) > 0.25).to(torch.uint8)
            keep[:, 0] = 1
            if key_mask == 2:
                keep[-1, :] = 0
            extra["key_mask"] = keep
        if blocks is not None:
            chunk, first = blocks
            extra["q_block"] = (first + torch.arange(tq) // chunk).to(torch.int32)
            extra["k_block"] = (torch.arange(tk) // chunk).to(torch.int32)
            if first == 0:
                extra["q_block"][0] = -1
        result = attention_reference(d(q), d(k), d(v), mask, scale, **extra)
        fx.case("attention", expected=result, **fields, **extra)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: ops_reference.py OUTPUT.bin\n")
        return 1
    torch.manual_seed(0)
    fx = Fixture()
    matmul_cases(fx)
    conv2d_cases(fx)
    upsample_cases(fx)
    norm_cases(fx)
    pointwise_cases(fx)
    rope_cases(fx)
    layout_cases(fx)
    attention_cases(fx)
    fx.write(sys.argv[1])
    print("ops_reference.py: wrote %d records, %d cases, to %s"
          % (len(fx.records), sum(fx.counters.values()), sys.argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
