#!/usr/bin/python3
"""tests/reference/train_twin.py: the PyTorch twin of pan's training losses.

The three stages of docs/training.md (`vae`, `decoder`, `glp`) as
functions of a model_twin.PanModel and explicit inputs: every noise value
(ε, x0, the noise levels k, the dropout flags) is an argument, so a loss
is a deterministic function of the parameters and torch autograd gives
its exact gradient. Call `.double()` on the model (and pass float64
inputs, or f32 ones: they are widened to the model's dtype) for a
reference. tests/reference/train_reference.py writes the fixture the C
gradient tests read; tests/reference/train_twin_selftest.py checks these
functions (gradcheck, KV-cache parity, stop-gradient, ...).

Contract (B items, K = chunk_frames, (z, h, w) a latent, Q queries, S
state tokens, d the backbone dim; every loss returns (loss 0-D tensor,
info dict of intermediate tensors)):

- vae_loss(pm, images (B,3,H,W), eps (B,z,h,w), kl_weight, weights=None)
    info: item (B) the unweighted L_b, mean, logvar (B,z,h,w), recon
    (B,3,H,W), l1 (B), kl (B).
- decoder_loss(pm, kind, x1 (B,n,z,h,w), x0 (B,n,z,h,w), k (B), actions,
  dropped (B,C), state_latents (B,C,z,h,w), weights=None)
    kind 'first' (n = 1+K, C = 1) or 'pair' (n = 1+2K, C = 2); actions[b][c]
    bytes; dropped[b][c] true: the null condition (state and action of
    that condition ignored); the state of condition c is
    pm.encoder(state_latents[b, c]) (S = Q). info: item (B), sigma (B, n)
    (numpy f32, the frames' noise levels), states (B, C, S, d).
- glp_loss(pm, z0 (B,z,h,w), chunks (B,R,K,z,h,w), actions, prev
  (B,R-1,Q,d), x0s, ks, dropped, weights=None)
    actions[b][r] bytes (a_r); prev[b, r-1] = p_r (stop-gradient: detached);
    per window r = 0..R-1: x0s[r] (B, n_r, z,h,w) (n_0 = 1+K, else 1+2K),
    ks[r] (B), dropped[r] (B, C_r) (C_0 = 1, else 2). info: states (B, R,
    Q, d) the teacher-forced ŝ_{r+1} of every round, window (B, R) the
    window losses, item (B).
- teacher_forced(pm, z0 (z,h,w), chunks (R,K,z,h,w), actions, prev
  (R-1,Q,d)) -> ŝ (R, Q, d) of one item: the round layout of docs/training.md
  (round 0: h(z0); round r: [p_r, h(last frame of C_{r-1})]) through one
  teacher-forced pass (model_twin.backbone_full: the history mask, eviction
  when R > max_rounds, absolute positions).
- backbone_sequence(pm, rounds) -> (ŝ (R, Q, d), hidden (T, d)): the
  teacher-forced pass on given rounds [(state (n, d), action bytes)];
  hidden is the last layer's output at every token (before model.norm).
- predictions(pm, z0, chunks, actions) -> (R-1, Q, d): the p_r a trainer
  feeds (no gradient, one KV-cache pass: round r's states are
  [ŝ_r of the previous step, h(last frame of C_{r-1})]).
- window_loss(pm, kind, x1, x0, k, conditions) -> (item losses (B),
  sigma): one decoder window per item; conditions[b] a list of (state
  (Q, d), action bytes) or None (null).
- window_layout(cfg, kind) -> (slot, block, cond, C); window_sigmas(cfg,
  kind, k) -> numpy f32 (B, n), the frames' noise levels.
- glp_loss_unrolled(...): glp_loss without the stop-gradient (p_r computed
  in the graph by the recurrent rollout); only for the self-test.
- parameter_grads(pm) -> {name: .grad or zeros} in declaration order.
- with_parameter(pm, name, tensor): a context manager that puts `tensor`
  in place of parameter `name` (for gradcheck with respect to it).

Readings where docs/training.md leaves a choice (the C side follows them):
- Noise levels are f32 as the C code computes them: σ = cond_noise
  rounded to f32 for the cond frame, k_b for A (or for B in a `first`
  window), and fl32(k_b + 0.5) (an f32 addition) for B in a `pair`
  window; x_σ = (1 - σ) x1 + σ x0 is then computed in the model's dtype.
- The decoder's frame layout is docs/swin_dpm.md's: `first` =
  [cond (slot 0, block 0), B (slots K+1..2K, block 2)]; `pair` = [cond
  (0, 0), A (1..K, 1), B (K+1..2K, 2)]; frame 0's velocity gets no loss.
- The glp stage's windows carry dropout flags like stage decoder (a
  dropped condition is the null condition; its ŝ gets no gradient from
  that window).
- Per-item weights: L = (1/B) sum_b w_b L_b (not divided by sum w).
"""
import contextlib
import os
import sys

try:
    import numpy
    import torch
except ImportError as error:  # never pass silently
    sys.stderr.write(
        "train_twin.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_twin  # noqa: E402

KINDS = ("first", "pair")


def _dtype(pm):
    return pm.decoder.patch_embed.weight.dtype


def weighted_mean(item, weights):
    """(1/B) sum_b w_b item_b; weights None: all 1."""
    if weights is None:
        return item.mean()
    w = torch.as_tensor(weights).to(item.dtype).reshape(-1)
    return (w * item).sum() / item.shape[0]


@contextlib.contextmanager
def with_parameter(pm, name, tensor):
    """Within the block, parameter `name` of pm is `tensor` (any tensor,
    e.g. a gradcheck input); restored afterwards."""
    prefix, _, leaf = name.rpartition(".")
    module = pm.get_submodule(prefix) if prefix else pm
    old = module._parameters[leaf]
    module._parameters[leaf] = tensor
    try:
        yield
    finally:
        module._parameters[leaf] = old


# ---- stage vae ----------------------------------------------------------------

def vae_moments(pm, images):
    """(mean, logvar) of the VAE encoder, each (B, z, h, w)."""
    return pm.vae.moments(images.to(_dtype(pm)))


def vae_loss(pm, images, eps, kl_weight, weights=None):
    """docs/training.md stage vae."""
    dtype = _dtype(pm)
    images, eps = images.to(dtype), eps.to(dtype)
    mean, logvar = pm.vae.moments(images)
    zs = mean + torch.exp(0.5 * logvar) * eps
    recon = pm.vae.decode(pm.vae.scaling_factor * zs)
    l1 = (recon - images).abs().flatten(1).mean(1)
    kl = (-0.5 * (1.0 + logvar - mean.pow(2) - logvar.exp())).flatten(1).sum(1)
    item = l1 + model_twin.f32(kl_weight) * kl
    loss = weighted_mean(item, weights)
    return loss, dict(item=item, mean=mean, logvar=logvar, recon=recon, l1=l1, kl=kl)


# ---- decoder windows -----------------------------------------------------------

def window_layout(cfg, kind):
    """(slot, block, cond, conditions) of a `first` or `pair` window."""
    k = cfg["frame"]["chunk_frames"]
    if kind == "first":
        return ([0] + list(range(k + 1, 2 * k + 1)), [0] + [2] * k, [-1] + [0] * k, 1)
    if kind == "pair":
        return (list(range(2 * k + 1)), [0] + [1] * k + [2] * k,
                [-1] + [0] * k + [1] * k, 2)
    raise ValueError("window kind must be 'first' or 'pair', found %r" % (kind,))


def window_sigmas(cfg, kind, k):
    """numpy f32 (B, n): cond_noise, then k_b (first: K frames; pair: A's
    K frames) and fl32(k_b + 0.5) (pair: B's K frames)."""
    kk = numpy.asarray(torch.as_tensor(k).detach().double().reshape(-1).numpy(),
                       dtype=numpy.float32)
    frames = cfg["frame"]["chunk_frames"]
    cn = numpy.float32(cfg["decoder"]["cond_noise"])
    rows = []
    for kb in kk:
        row = [cn] + [kb] * frames
        if kind == "pair":
            row += [numpy.float32(kb + numpy.float32(0.5))] * frames
        rows.append(row)
    return numpy.array(rows, dtype=numpy.float32)


def window_loss(pm, kind, x1, x0, k, conditions):
    """Per item b: σ_j as window_sigmas, x_σ = (1-σ) x1 + σ x0, v̂ = the
    decoder's velocity, L_b = mean over frames 1..n-1 and all elements of
    (v̂ - (x1 - x0))^2. Returns (item (B), sigma numpy (B, n))."""
    dtype = _dtype(pm)
    slot, block, cond, count = window_layout(pm.cfg, kind)
    x1, x0 = x1.to(dtype), x0.to(dtype)
    if x1.shape[1] != len(slot) or x0.shape != x1.shape:
        raise ValueError("%s window: expected %d frames, found x1 %s x0 %s"
                         % (kind, len(slot), list(x1.shape), list(x0.shape)))
    sigma = window_sigmas(pm.cfg, kind, k)
    embed = pm.model.embed_tokens.weight
    items = []
    for b in range(x1.shape[0]):
        if len(conditions[b]) != count:
            raise ValueError("%s window: item %d has %d conditions, expected %d"
                             % (kind, b, len(conditions[b]), count))
        s = torch.tensor(sigma[b].astype(numpy.float64), dtype=dtype)[:, None, None, None]
        xs = (1.0 - s) * x1[b] + s * x0[b]
        v = pm.decoder(embed, xs[None], sigma[b].astype(numpy.float64).tolist(), slot,
                       block, cond, [conditions[b]])[0]
        target = x1[b] - x0[b]
        items.append((v[1:] - target[1:]).pow(2).mean())
    return torch.stack(items), sigma


def _bytes(action):
    if isinstance(action, torch.Tensor):
        return bytes(action.to(torch.uint8).tolist())
    return bytes(action)


def _flag(dropped, b, c):
    return bool(int(torch.as_tensor(dropped)[b, c]))


# ---- stage decoder -------------------------------------------------------------

def decoder_loss(pm, kind, x1, x0, k, actions, dropped, state_latents, weights=None):
    """docs/training.md stage decoder: B windows of one kind; condition c of
    item b is (h(state_latents[b, c]), actions[b][c]), or null when
    dropped[b][c]."""
    dtype = _dtype(pm)
    batch, count = torch.as_tensor(dropped).shape
    zs = state_latents.to(dtype)
    states = pm.encoder(zs.reshape((batch * count,) + tuple(zs.shape[2:])))
    states = states.reshape((batch, count) + tuple(states.shape[1:]))
    conditions = [[None if _flag(dropped, b, c) else (states[b, c], _bytes(actions[b][c]))
                   for c in range(count)] for b in range(batch)]
    item, sigma = window_loss(pm, kind, x1, x0, k, conditions)
    return weighted_mean(item, weights), dict(item=item, sigma=sigma, states=states)


# ---- stage glp -----------------------------------------------------------------

def backbone_sequence(pm, rounds):
    """(ŝ (R, Q, d), hidden (T, d)) of one teacher-forced pass."""
    queries = pm.cfg["backbone"]["queries"]
    hidden, ends = model_twin.backbone_hidden(pm, rounds)
    out = torch.stack([pm.state_head(hidden[end - queries:end]) for end in ends])
    return out, hidden


def glp_rounds(pm, z0, chunks, actions, prev):
    """The teacher-forced rounds [(state tokens, action bytes)] of one item:
    round 0 h(z0) (S tokens); round r >= 1 [p_r (detached), h(last frame of
    C_{r-1})] (Q + S tokens)."""
    dtype = _dtype(pm)
    rounds_total = chunks.shape[0]
    h0 = pm.encoder(z0.to(dtype)[None])[0]
    rounds = [(h0, _bytes(actions[0]))]
    if rounds_total > 1:
        last = pm.encoder(chunks[:rounds_total - 1, -1].to(dtype))   # (R-1, S, d)
        for r in range(1, rounds_total):
            rounds.append((torch.cat([prev[r - 1].to(dtype).detach(), last[r - 1]]),
                           _bytes(actions[r])))
    return rounds


def teacher_forced(pm, z0, chunks, actions, prev):
    """ŝ_{r+1} for r = 0..R-1, (R, Q, d), of one item."""
    return backbone_sequence(pm, glp_rounds(pm, z0, chunks, actions, prev))[0]


def predictions(pm, z0, chunks, actions):
    """The previous predictions p_1..p_{R-1} (R-1, Q, d) a trainer computes
    without gradients: one KV-cache pass (model_twin.KVCache +
    backbone_step) where round r's states are [ŝ_r, h(last frame of
    C_{r-1})]."""
    dtype = _dtype(pm)
    rounds_total = chunks.shape[0]
    with torch.no_grad():
        cache = model_twin.KVCache(pm.cfg, 1, dtype=dtype)
        state = pm.encoder(z0.to(dtype)[None])[0]
        out = []
        for r in range(rounds_total - 1):
            s = model_twin.backbone_step(pm, cache, [(0, state, _bytes(actions[r]))])[0]
            out.append(s)
            state = torch.cat([s, pm.encoder(chunks[r, -1].to(dtype)[None])[0]])
    q, d = pm.cfg["backbone"]["queries"], pm.cfg["backbone"]["dim"]
    return torch.stack(out) if out else torch.zeros(0, q, d, dtype=dtype)


def glp_windows(pm, z0, chunks, actions, states, x0s, ks, dropped, b):
    """The R window losses (R,) of item b given its ŝ states (R, Q, d)."""
    dtype = _dtype(pm)
    losses = []
    for r in range(chunks.shape[1]):
        def condition(index, c, rr):
            if _flag(dropped[r], b, c):
                return None
            return (states[index], _bytes(actions[b][rr]))
        if r == 0:
            x1 = torch.cat([z0[b].to(dtype)[None], chunks[b, 0].to(dtype)])
            kind, conds = "first", [condition(0, 0, 0)]
        else:
            cond = z0[b] if r == 1 else chunks[b, r - 2, -1]
            x1 = torch.cat([cond.to(dtype)[None], chunks[b, r - 1].to(dtype),
                            chunks[b, r].to(dtype)])
            kind, conds = "pair", [condition(r - 1, 0, r - 1), condition(r, 1, r)]
        item, _ = window_loss(pm, kind, x1[None], x0s[r][b:b + 1],
                              torch.as_tensor(ks[r]).reshape(-1)[b:b + 1], [conds])
        losses.append(item[0])
    return torch.stack(losses)


def glp_loss(pm, z0, chunks, actions, prev, x0s, ks, dropped, weights=None):
    """docs/training.md stage glp: per item one teacher-forced backbone pass
    and R decoder windows; L_b = (1/R) sum_r window loss."""
    batch = chunks.shape[0]
    all_states, windows = [], []
    for b in range(batch):
        states = teacher_forced(pm, z0[b], chunks[b], actions[b], prev[b])
        all_states.append(states)
        windows.append(glp_windows(pm, z0, chunks, actions, states, x0s, ks, dropped, b))
    windows = torch.stack(windows)                     # (B, R)
    item = windows.mean(1)
    return weighted_mean(item, weights), dict(states=torch.stack(all_states),
                                              window=windows, item=item)


def glp_loss_unrolled(pm, z0, chunks, actions, x0s, ks, dropped, weights=None):
    """The glp loss WITHOUT the stop-gradient (for the self-test only): p_r
    is the in-graph ŝ_r of the recurrent rollout, so gradients also flow
    through the previous predictions. Same value as glp_loss with prev =
    predictions(...)."""
    batch, rounds_total = chunks.shape[:2]
    dtype = _dtype(pm)
    all_states, windows = [], []
    for b in range(batch):
        h0 = pm.encoder(z0[b].to(dtype)[None])[0]
        rounds = [(h0, _bytes(actions[b][0]))]
        states = []
        for r in range(rounds_total):
            out, _ = backbone_sequence(pm, rounds)
            states.append(out[-1])
            if r + 1 < rounds_total:
                last = pm.encoder(chunks[b, r, -1].to(dtype)[None])[0]
                rounds.append((torch.cat([out[-1], last]), _bytes(actions[b][r + 1])))
        states = torch.stack(states)
        all_states.append(states)
        windows.append(glp_windows(pm, z0, chunks, actions, states, x0s, ks, dropped, b))
    windows = torch.stack(windows)
    item = windows.mean(1)
    return weighted_mean(item, weights), dict(states=torch.stack(all_states),
                                              window=windows, item=item)


def parameter_grads(pm):
    """{name: gradient (zeros where the loss does not reach)} in
    docs/model.md declaration order."""
    params = dict(pm.named_parameters())
    out = {}
    for name in model_twin.param_order(pm.cfg):
        p = params[name]
        out[name] = p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
    return out
