#!/usr/bin/python3
"""tests/reference/glp_env_twin.py: the PyTorch twin of the GLP env step
(docs/swin_dpm.md, "The GLP step loop") on a model_twin.PanModel.

Contract
- GLPEnv(model) is one env in frames mode: reset(u8 frame, seed),
  step(action) -> (ŝ_{t+1}, chunk latent, u8 frames), the next round's
  state tokens [ŝ_{t+1}, h(ô)] from the re-encoded last u8 frame.
- frames_to_images / images_to_frames are docs/model.md "Frames".
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import decoder_twin  # noqa: E402
import model_twin  # noqa: E402


def frames_to_images(frames, dtype=torch.float64):
    """(N, H, W, 3) u8 -> (N, 3, H, W) = u8 / 127.5 - 1."""
    return frames.permute(0, 3, 1, 2).to(dtype) / 127.5 - 1.0


def images_to_frames(images):
    """(N, 3, H, W) -> (N, H, W, 3) u8 = clamp(floor((x + 1) 127.5 + 0.5), 0, 255)."""
    u8 = torch.floor((images + 1.0) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8)
    return u8.permute(0, 2, 3, 1).contiguous()


class GLPEnv:
    """One world-model env in frames mode on a PanModel (run it in
    .double()): reset(frame u8 (H, W, 3), seed) -> s_1 (S, d);
    step(action bytes) -> (ŝ_{t+1} (Q, d), chunk latent (K, z, h, w),
    frames u8 (K, H, W, 3)). The backbone recomputes every round
    (backbone_full); the next round's state tokens are [ŝ_{t+1}, h(ô)] with
    ô the chunk's last u8 frame, re-encoded like an observed frame."""

    def __init__(self, pm, cfg_scale=None):
        self.pm = pm
        self.sampler = decoder_twin.SwinSampler(pm.decoder, pm.model.embed_tokens.weight,
                                                pm.cfg, cfg_scale)

    def observe(self, frame):
        """u8 (H, W, 3) -> (latent (z, h, w), h(o) (S, d))."""
        dtype = self.pm.vae.decoder.conv_in.weight.dtype
        latent = self.pm.vae.encode(frames_to_images(frame[None], dtype))
        return latent[0], self.pm.encoder(latent)[0]

    def reset(self, frame, seed):
        latent, tokens = self.observe(frame)
        self.rounds, self.state = [], tokens
        self.sampler.reset(latent, seed)
        return tokens

    def step(self, action):
        self.rounds.append((self.state, bytes(action)))
        predicted = model_twin.backbone_full(self.pm, self.rounds)[-1]          # (Q, d)
        chunk = self.sampler.step(predicted, action)                  # (K, z, h, w)
        dtype = self.pm.vae.decoder.conv_in.weight.dtype
        frames = images_to_frames(self.pm.vae.decode(chunk.to(dtype)))  # (K, H, W, 3)
        _, seen = self.observe(frames[-1])
        self.state = torch.cat([predicted, seen])                     # (Q + S, d)
        return predicted, chunk, frames
