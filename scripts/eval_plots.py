#!/usr/bin/env python3
"""Plots the consistency curves of a pan-eval report (report.json) as a PNG.

    /usr/bin/python3 scripts/eval_plots.py DIR/report.json OUT.png

pan-eval runs it after writing its report when matplotlib (Debian
python3-matplotlib) is importable; it needs nothing else.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        report = json.load(f)
    curves = report["consistency"]["curves"]
    panels = [("object_error_px", "object error (px)"), ("recall", "object recall"),
              ("precision", "object precision"), ("psnr_db", "PSNR (dB)"),
              ("ssim", "SSIM")]
    if "camera_error_cells" in curves:
        panels.append(("camera_error_cells", "camera error (cells)"))
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, (key, label) in zip(axes.flat, panels):
        ys = curves[key]
        xs = [t + 1 for t, y in enumerate(ys) if y is not None]
        ax.plot(xs, [y for y in ys if y is not None], marker=".", linewidth=1)
        ax.set_xlabel("step")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"pan-eval consistency, {report['world']}: {report['subject']}\n"
                 f"commit {report['commit']}, {report['consistency']['steps']} steps",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(argv[2], dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
