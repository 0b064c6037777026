#!/usr/bin/env python3
"""Plots a pan-train run's learning curves (its log.jsonl) as a PNG.

    /usr/bin/python3 scripts/plot_training.py RUN_DIR [OUT.png]

OUT defaults to RUN_DIR/curves.png. Panels: the loss (log scale), the
gradient norm before clipping, the learning rate, and samples per second,
each against the optimizer step; every other numeric key of the log
(held-out evaluations such as eval_psnr_db) gets a panel of its own.
`pan-train plot RUN_DIR` runs this script. Needs matplotlib (Debian
python3-matplotlib, or the venv's `plots` group).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIXED = [("loss", "loss", True), ("grad_norm", "gradient norm (before clipping)", True),
         ("lr", "learning rate", False), ("samples_per_s", "samples / s", False)]
SKIP = {"step", "elapsed_s", "cursor"}


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    run = argv[1]
    out = argv[2] if len(argv) == 3 else os.path.join(run, "curves.png")
    path = os.path.join(run, "log.jsonl")
    try:
        with open(path) as f:
            log = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        print(f"plot_training: {path}: {e}", file=sys.stderr)
        return 1
    if not log:
        print(f"plot_training: {path} holds no logged step yet", file=sys.stderr)
        return 1
    stage = ""
    try:
        with open(os.path.join(run, "run.json")) as f:
            stage = json.load(f).get("stage", "")
    except (OSError, ValueError):
        pass
    extra = sorted({k for e in log for k, v in e.items()
                    if isinstance(v, (int, float)) and k not in SKIP
                    and k not in {p[0] for p in FIXED}})
    panels = FIXED + [(k, k, False) for k in extra]
    cols = 2 if len(panels) <= 4 else 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.4 * rows), squeeze=False)
    for ax, (key, label, log_y) in zip(axes.flat, panels):
        pts = [(e["step"], e[key]) for e in log if isinstance(e.get(key), (int, float))]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="." if len(pts) < 60 else None,
                linewidth=1)
        if log_y and all(p[1] > 0 for p in pts):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    last = [e for e in log if "loss" in e][-1] if any("loss" in e for e in log) else log[-1]
    fig.suptitle(f"pan-train {stage} {os.path.basename(os.path.normpath(run))}: "
                 f"step {last['step']}, loss {last.get('loss', float('nan')):.4g}, "
                 f"{last.get('elapsed_s', 0) / 60:.0f} min", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
