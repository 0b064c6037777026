"""benchmarks/harness/eval_rows.py: the harness's rows from a pan-eval
report.json (format "pan-eval report 1", docs/eval.md, "Reports").

One row per headline number of PAN's table: fidelity score and strict pass
per split, step-wise per split, the later-steps-weighted consistency
figures, smoothness (and its ratio to the truth), revisit (rooms),
planning success per planner with pan - no-model and oracle - pan, and the
run's cost (subject env steps, seconds). Fractions become percentages; the
95% bootstrap interval and n go in the note. A field the report lacks is
skipped, so a newer report with more sections still gives these rows.
"""

import json

PLANNERS = ("random", "nomodel", "pick", "cem", "oracle")


def _get(obj, *path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _stat(rows, case, metric, stat, unit, scale=1.0):
    if not isinstance(stat, dict) or stat.get("mean") is None:
        return
    lo, hi = (stat.get("ci95") or [None, None])[:2]
    note = "n %s" % stat.get("n")
    if stat.get("cases") is not None and stat.get("cases") != stat.get("n"):
        note += " (%s cases)" % stat["cases"]
    if lo is not None and hi is not None:
        note += "; 95%% CI [%.4g, %.4g]" % (lo * scale, hi * scale)
    rows.append({"case": case, "metric": metric, "value": stat["mean"] * scale,
                 "unit": unit, "peer_value": None, "note": note})


def _plain(rows, case, metric, value, unit, note=""):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        rows.append({"case": case, "metric": metric, "value": float(value),
                     "unit": unit, "peer_value": None, "note": note})


def rows(path):
    with open(path) as f:
        r = json.load(f)
    world = r.get("world", "?")
    out = []
    for split in ("train", "heldout"):
        case = "%s fidelity, %s actions" % (world, split)
        _stat(out, case, "score", _get(r, "fidelity", split, "score"), "%", 100)
        _stat(out, case, "strict_pass", _get(r, "fidelity", split, "pass"), "%", 100)
    for split in ("train", "heldout"):
        _stat(out, "%s step-wise 4-way, %s actions" % (world, split), "accuracy",
              _get(r, "stepwise", split), "%", 100)
    weighted = _get(r, "consistency", "later_weighted") or {}
    steps = _get(r, "consistency", "steps")
    case = "%s consistency, later-steps-weighted over %s steps" % (world, steps)
    for key, unit, scale in (("object_error_px", "px", 1), ("recall", "%", 100),
                             ("precision", "%", 100), ("psnr_db", "dB", 1),
                             ("ssim", "", 1), ("camera_error_cells", "cells", 1)):
        _stat(out, case, key, weighted.get(key), unit, scale)
    sm = r.get("smoothness") or {}
    _plain(out, "%s transition smoothness" % world, "value", sm.get("value"), "px/frame",
           "the truth: %s" % sm.get("truth_value"))
    _plain(out, "%s transition smoothness" % world, "ratio_to_truth", sm.get("ratio"), "")
    if r.get("revisit"):
        _stat(out, "%s revisit" % world, "pass", _get(r, "revisit", "pass"), "%", 100)
    plan = r.get("planning") or {}
    if plan.get("measured"):
        for key in PLANNERS:
            case = "%s structured planning, %s" % (world, key)
            _stat(out, case, "success", _get(plan, key, "success"), "%", 100)
            _plain(out, case, "decisions_per_s", _get(plan, key, "decisions_per_s"), "1/s")
        _plain(out, "%s structured planning" % world, "pan_minus_nomodel",
               plan.get("pan_minus_nomodel_pts"), "points")
        _plain(out, "%s structured planning" % world, "oracle_minus_pan",
               plan.get("oracle_minus_pan_pts"), "points")
    elif "why_not" in plan:
        out.append({"case": "%s structured planning" % world, "metric": "success",
                    "value": None, "unit": "%", "peer_value": None,
                    "note": "not measured: %s" % plan["why_not"]})
    _plain(out, "%s run" % world, "subject_env_steps", r.get("subject_env_steps"), "steps")
    _plain(out, "%s run" % world, "seconds_total", _get(r, "seconds", "total"), "s",
           "pan-eval's own clock")
    return out


def identity(path):
    """Who and what the report says it measured (for the run record)."""
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError):
        return None
    return {k: r.get(k) for k in ("format", "world", "subject", "commit", "machine",
                                  "date", "command")}
