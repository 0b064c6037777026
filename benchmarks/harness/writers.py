"""benchmarks/harness/writers.py: bench.json, bench.csv and bench.md.

All three hold the same rows (benchmark, case, metric, value, unit, peer,
peer_value, ratio = peer_value / value, note) and the same header. In the
CSV every row repeats the header's key facts (date, commit, dirty, CPU,
threads, load, model hash) so that files from several machines can be
concatenated and still say where each figure came from, as llama-bench's
CSV does. The JSON is the complete record: header, one record per run
(status, exit code, wall time, load, command, stderr tail) and the rows.
"""

import csv
import json
import os

import checkpoint
import machine
import peers

FORMAT = "pan-bench 1"
ROW_FIELDS = ["benchmark", "case", "metric", "value", "unit", "peer", "peer_value",
              "ratio", "note"]
CSV_FIELDS = ["date_utc", "commit", "dirty", "cpu", "threads", "load_1m_start",
              "model_sha256"] + ROW_FIELDS
BUSY = 0.5  # 1-minute load per core above which a run is flagged as loaded
BUSY_SHARE = 0.05  # others' share of the cores' time above which a run is flagged


def loaded(header):
    """The load average's verdict (it counts the benchmarks' own threads too:
    used only when the runs have no others_cpu_share)."""
    load, cores = header.get("load_average_start"), header["machine"]["cores"] or 1
    end = header.get("load_average_end")
    worst = max((load or [0])[0], (end or [0])[0])
    return worst > BUSY * cores


def write_json(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=1, sort_keys=False)
        f.write("\n")


def write_csv(path, document):
    h = document["header"]
    model = h.get("model") or {}
    common = {"date_utc": h["date_utc"], "commit": h["git"]["commit"],
              "dirty": h["git"]["dirty"], "cpu": h["machine"]["cpu"],
              "threads": h["threads"],
              "load_1m_start": (h.get("load_average_start") or [None])[0],
              "model_sha256": model.get("sha256")}
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        for row in document["rows"]:
            w.writerow({**common, **{k: "" if row.get(k) is None else row[k]
                                     for k in ROW_FIELDS}})


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1000:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 0.01:
        return "%.3f" % v
    return "%.2e" % v


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _libraries(libs):
    names = [("openblas", "OpenBLAS (openmp)"), ("onednn", "oneDNN"),
             ("zeromq", "ZeroMQ"), ("msgpack", "msgpack-c"), ("jansson", "jansson"),
             ("python3_torch", "python3-torch"), ("python3_numpy", "numpy")]
    return ", ".join("%s %s" % (label, libs.get(key) or "not installed")
                     for key, label in names)


def _git(g):
    text = "%s" % (g["commit"] or "unknown (not a git checkout)")
    if g.get("subject"):
        text += " (%s)" % g["subject"][:80]
    if g["dirty"]:
        shown = ", ".join(g["changed_files"][:8])
        more = len(g["changed_files"]) - 8
        text += "; **dirty**: %d tracked file(s) changed (%s%s)" % (
            len(g["changed_files"]), shown, ", ..." if more > 0 else "")
    elif g["dirty"] is False:
        text += "; clean"
    if g.get("untracked_files"):
        text += "; %d untracked file(s)" % g["untracked_files"]
    if g.get("commit_end") and g["commit_end"] != g["commit"]:
        text += "; HEAD moved to %s during the run" % g["commit_end"]
    return text


def _peers(h):
    """The peers line: each peer's torch version, interpreter and mode."""
    listed = h.get("peers")
    if listed is None:  # a document from before the peers
        return "torch %s (torch.__version__ under %s)" % (h.get("torch") or
                                                          "not importable", h["python"])
    text = "; ".join(peers.label(p) for p in listed) or "none"
    if h.get("peers_note"):
        text += " (%s)" % h["peers_note"]
    return text


def _peer_summary(rows):
    """Per case of the rows with peers, for their main metric: C, each peer
    (peer / C) and the fastest, as markdown lines; [] without peers."""
    shown = [x for x in rows if x.get("peer") and x["peer_value"] is not None and
             x["metric"] in ("step_median_ms", "median_ms")]
    names = []
    for x in shown:
        if not x["peer"].startswith("fastest") and x["peer"] not in names:
            names.append(x["peer"])
    if not names:
        return []
    cases = []
    for x in shown:
        if (x["case"], x["metric"]) not in cases:
            cases.append((x["case"], x["metric"]))
    out = ["| case | C | " + " | ".join(names) + " | fastest / C |",
           "|---|---|" + "---|" * (len(names) + 1)]
    for case, metric in cases:
        mine = {x["peer"]: x for x in shown if (x["case"], x["metric"]) == (case, metric)}
        any_row = next(iter(mine.values()))
        cells = [case, "%s %s" % (fmt(any_row["value"]), any_row["unit"])]
        for n in names:
            x = mine.get(n)
            cells.append("%s (%.2fx)" % (fmt(x["peer_value"]), x["ratio"])
                         if x and x.get("ratio") is not None else "-")
        best = next((x for k, x in mine.items() if k.startswith("fastest")), None)
        cells.append("**%.2fx** %s" % (best["ratio"], best["peer"].split(": ", 1)[-1])
                     if best and best.get("ratio") is not None else "-")
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out + ["", "Peers in %s; (peer / C); fastest: the peer with the smallest "
                  "figure." % any_row["unit"], ""]


def _header_md(document):
    h = document["header"]
    m, b = h["machine"], h["build"]
    lavg = lambda v: " ".join("%.2f" % x for x in v) if v else "unknown"  # noqa: E731
    lines = ["| | |", "|---|---|",
             "| date (UTC) | %s |" % h["date_utc"],
             "| commit | %s |" % _cell(_git(h["git"])),
             "| machine | %s; ISA %s; host %s |" % (_cell(machine.summary(h)),
                                                    " ".join(m["isa"]) or "-",
                                                    m["hostname"]),
             "| libraries (dpkg) | %s |" % _libraries(h["libraries"]),
             "| PyTorch peers | %s |" % _cell(_peers(h)),
             "| build | %s, %s, %s |" % (b["dir"], b["type"] or "type unknown",
                                         b.get("c_compiler_version") or "compiler unknown"),
             "| threads | %s |" % h["threads"],
             "| load average (1, 5, 15 min) | start %s; end %s |" % (
                 lavg(h.get("load_average_start")), lavg(h.get("load_average_end"))),
             "| model | %s |" % _cell(checkpoint.label(h.get("model"))),
             "| settings | %s; `%s` |" % ("quick" if h["quick"] else "full",
                                          _cell(h["command"])),
             "| total wall time | %s s |" % fmt(h.get("wall_s"))]
    if h.get("model") and h["model"].get("origin"):
        lines.insert(-2, "| model origin | %s |" % _cell(h["model"]["origin"]))
    runs = document["runs"]
    shares = [r for r in runs if r.get("others_cpu_share") is not None]
    busy = [r for r in runs if (r.get("others_cpu_share") or 0) +
            (r.get("steal_share") or 0) > BUSY_SHARE]
    if busy:
        lines += ["", "**Shared machine**: other processes used %s of the cores' time "
                  "while %s ran (the \"others' CPU\" column of the runs, steal "
                  "included): those figures are not a quiet machine's." % (
                      ", ".join("%.0f%%" % (100 * ((r["others_cpu_share"] or 0) +
                                                   (r.get("steal_share") or 0)))
                                for r in busy),
                      ", ".join(r["name"] for r in busy))]
    elif shares and len(shares) == len(runs):
        lines += ["", "Quiet machine: other processes used at most %.0f%% of the cores' "
                  "time during any run (the load average above counts the benchmarks' "
                  "own threads)." % (100 * max(r["others_cpu_share"] + (r.get("steal_share")
                                                                       or 0)
                                               for r in shares))]
    if loaded(h) and not (shares and len(shares) == len(runs)):
        lines += ["", "**Loaded machine**: the 1-minute load average reached %s on %s "
                  "cores during this run; other work shared the cores, so these "
                  "figures are not comparable with a quiet machine's." % (
                      "%.2f" % (max((h.get("load_average_start") or [0])[0],
                              (h.get("load_average_end") or [0])[0])), m["cores"])]
    return lines


def write_md(path, document, suites):
    h = document["header"]
    out = ["# pan benchmarks, %s, commit %s" % (h["date_utc"],
                                                h["git"]["commit_short"] or "unknown"),
           ""] + _header_md(document)
    out += ["", "## Runs", "",
            "| benchmark | status | wall s | load before (1 min) | others' CPU | what | "
            "command |",
            "|---|---|---|---|---|---|---|"]
    about = {s.name: s.about for s in suites}
    for r in document["runs"]:
        status = r["status"] if r["status"] == "ok" else "**FAILED**: %s" % r["why"]
        share = r.get("others_cpu_share")
        if share is not None and r.get("steal_share"):
            share_text = "%.0f%% (steal %.0f%%)" % (100 * share, 100 * r["steal_share"])
        else:
            share_text = "%.0f%%" % (100 * share) if share is not None else "-"
        out.append("| %s | %s | %s | %s | %s | %s | `%s` |" % (
            r["name"], _cell(status), fmt(r["wall_s"]),
            "%.2f" % r["load_average_before"][0] if r.get("load_average_before") else "-",
            share_text, _cell(about.get(r["name"], "")), _cell(r["command"])))
    for r in document["runs"]:
        rows = [x for x in document["rows"] if x["benchmark"] == r["name"]]
        if not rows:
            continue
        peer = any(x.get("peer") for x in rows)
        out += ["", "## %s" % r["name"], ""]
        if about.get(r["name"]):
            out += [about[r["name"]] + ". Raw output: `raw/%s`." % r["raw"], ""]
        if r.get("warning"):
            out += ["Warning: %s" % _cell(r["warning"]), ""]
        out += _peer_summary(rows)
        head = ["case", "metric", "value", "unit"]
        if peer:
            head += ["peer", "peer value", "peer / value"]
        out += ["| " + " | ".join(head + ["note"]) + " |",
                "|" + "---|" * (len(head) + 1)]
        for x in rows:
            cells = [x["case"], x["metric"], fmt(x["value"]), x["unit"]]
            if peer:
                cells += [x.get("peer") or "", fmt(x["peer_value"]),
                          "%.2fx" % x["ratio"] if x.get("ratio") is not None else "-"]
            out.append("| " + " | ".join(_cell(c) for c in cells + [x["note"] or ""]) + " |")
    failed = [r for r in document["runs"] if r["status"] != "ok"]
    if failed:
        out += ["", "## Failures", ""]
        for r in failed:
            out += ["### %s: %s" % (r["name"], r["why"]), "", "`%s`" % r["command"], "",
                    "```"] + (r["stderr_tail"] or ["(no stderr)"]) + ["```", ""]
    with open(path, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")


def write_all(out_dir, document, suites):
    paths = {k: os.path.join(out_dir, "bench." + k) for k in ("json", "csv", "md")}
    write_json(paths["json"], document)
    write_csv(paths["csv"], document)
    write_md(paths["md"], document, suites)
    return paths
