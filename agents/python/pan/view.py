"""pan.view: look at an episode as an animated GIF or a PNG strip.

    python3 -m pan.view EPISODE --gif out.gif [--fps 8] [--scale 4]
    python3 -m pan.view EPISODE --png strip.png [--scale 2] [--max-steps 64]

The GIF plays every frame (reset frame, then K per step) with a caption bar
(frame index, step and action). The PNG strip has one row per step: the
frame the action was taken in, then the step's K frames, under a caption
with the action and what the world's parser made of it. Images are encoded
by PIL (Debian python3-pil). Exit codes: 0 ok, 1 unreadable episode or
output, 2 usage.
"""

import argparse
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pan.dataset import DatasetError, read_episode

CAPTION = 14        # caption bar height, pixels
PAD = 4             # outer margin and gap between rows
BACKGROUND = (32, 32, 32)
TEXT = (235, 235, 235)
DIM = (150, 150, 150)


def _ascii(text):
    """The default bitmap font draws Latin-1 only: keep printable ASCII."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def _fit(draw, font, text, width):
    text = _ascii(text)
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _scaled(frame, scale):
    img = Image.fromarray(np.ascontiguousarray(frame), "RGB")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


def _step_caption(ep, t):
    result = ep.results[t]
    if result["understood"]:
        made = result["canonical"] + (" [held out]" if result["heldout"] else "")
    else:
        made = "not understood"
    return f"{t}: {ep.actions[t]} -> {made}"


def gif_frames(ep, scale=4, captions=True):
    """The GIF's frames as RGB PIL images, one per episode frame."""
    font = ImageFont.load_default()
    out = []
    for f in range(ep.frames.shape[0]):
        tile = _scaled(ep.frames[f], scale)
        if not captions:
            out.append(tile)
            continue
        img = Image.new("RGB", (tile.width, tile.height + CAPTION), BACKGROUND)
        img.paste(tile, (0, 0))
        step = (f - 1) // ep.frames_per_step
        text = (f"{f} reset" if f == 0 else
                f"{f} t={step} {ep.actions[step]}")
        draw = ImageDraw.Draw(img)
        draw.text((2, tile.height + 1), _fit(draw, font, text, tile.width - 4),
                  fill=TEXT, font=font)
        out.append(img)
    return out


def save_gif(ep, path, fps=8.0, scale=4, captions=True):
    frames = [im.quantize(colors=256, method=Image.MEDIANCUT,
                          dither=Image.NONE)
              for im in gif_frames(ep, scale, captions)]
    frames[0].save(path, format="GIF", save_all=True,
                   append_images=frames[1:], duration=int(round(1000 / fps)),
                   loop=0, optimize=False, disposal=1)
    return len(frames)


def strip_image(ep, scale=2, captions=True, max_steps=64):
    """One row per step: [frame before | K frames], caption above."""
    font = ImageFont.load_default()
    k = ep.frames_per_step
    tw, th = ep.width * scale, ep.height * scale
    rows = min(ep.steps, max_steps)
    gap, sep = 2, 8                      # between tiles; after "before"
    width = PAD * 2 + (k + 1) * tw + (k - 1) * gap + sep
    cap = CAPTION if captions else 0
    title = CAPTION + PAD if captions else 0
    height = PAD + title + max(rows, 1) * (cap + th + PAD)
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    if captions:
        head = (f"{ep.world} seed {ep.seed} split {ep.split}: {ep.steps} steps,"
                f" {ep.height}x{ep.width}, K={k}")
        if rows < ep.steps:
            head += f" (first {rows} shown)"
        draw.text((PAD, PAD), _fit(draw, font, head, width - 2 * PAD),
                  fill=DIM, font=font)
    if ep.steps == 0:
        img.paste(_scaled(ep.frames[0], scale), (PAD, PAD + title + cap))
    for t in range(rows):
        y = PAD + title + t * (cap + th + PAD)
        if captions:
            draw.text((PAD, y + 1),
                      _fit(draw, font, _step_caption(ep, t), width - 2 * PAD),
                      fill=TEXT, font=font)
        x = PAD
        img.paste(_scaled(ep.frame_before(t), scale), (x, y + cap))
        x += tw + sep
        for frame in ep.chunk(t):
            img.paste(_scaled(frame, scale), (x, y + cap))
            x += tw + gap
    return img


def save_png(ep, path, scale=2, captions=True, max_steps=64):
    img = strip_image(ep, scale, captions, max_steps)
    img.save(path, format="PNG")
    return img.size


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python3 -m pan.view",
        description="Write an episode file as an animated GIF and/or a PNG "
                    "strip (one row per step).")
    p.add_argument("episode", help="an episode file (.pan) written by pan-data")
    p.add_argument("--gif", metavar="OUT", help="write an animated GIF")
    p.add_argument("--png", metavar="OUT", help="write a PNG strip")
    p.add_argument("--scale", type=int, default=None,
                   help="pixel scale (default 4 for GIF, 2 for PNG)")
    p.add_argument("--fps", type=float, default=8.0,
                   help="GIF frames per second (default 8)")
    p.add_argument("--max-steps", type=int, default=64,
                   help="PNG: at most this many rows (default 64)")
    p.add_argument("--no-captions", action="store_true",
                   help="frames only, no text")
    args = p.parse_args(argv)
    if not args.gif and not args.png:
        p.error("give --gif OUT and/or --png OUT")
    if args.scale is not None and not 1 <= args.scale <= 16:
        p.error("--scale must be 1..16")
    if not 0.1 <= args.fps <= 100:
        p.error("--fps must be 0.1..100")
    if args.max_steps < 1:
        p.error("--max-steps must be at least 1")
    try:
        ep = read_episode(args.episode)
    except DatasetError as e:
        print(f"pan.view: {e}", file=sys.stderr)
        return 1
    captions = not args.no_captions
    try:
        if args.gif:
            n = save_gif(ep, args.gif, args.fps, args.scale or 4, captions)
            print(f"{args.gif}: {n} frames")
        if args.png:
            w, h = save_png(ep, args.png, args.scale or 2, captions,
                            args.max_steps)
            print(f"{args.png}: {w}x{h}")
    except OSError as e:
        print(f"pan.view: cannot write: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
