"""Turns the raw results of benches/compare.sh into the comparison table (markdown and CSV).

Usage: report.py RESULTS_DIR LEADS SEED OUT_MD OUT_CSV

RESULTS_DIR holds, per run r (1..RUNS): `<name>.<r>.time` (/usr/bin/time -v output) for
leadtune-run, leadtune-traits, pandas, polars and floor; `<name>.<r>.json` (stage timings and
AUC) for the Python contenders; `leadtune-run.<r>.manifest.json`; and `leadtune-run/` (the last
run's outputs, for evaluation.json), `machine.txt`, `<name>.<r>.busy` (CPU use just before and
while the process ran, to tell what else was running).
With several runs the median wall time (and its run's figures) is shown, and the range.
"""

import csv
import glob
import json
import os
import re
import sys

res, leads, seed, out_md, out_csv = sys.argv[1:6]
leads = int(leads)


def time_v(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu_s = sum(float(re.search(rf"{k} time \(seconds\): (\S+)", text).group(1))
                for k in ("User", "System"))
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", text).group(1)
    status = int(re.search(r"Exit status: (\d+)", text).group(1))
    # Other processes: their share of the CPUs just before, and while this one ran (all busy
    # CPU time in that interval less this process's own user + sys time).
    busy_path = path[:-len(".time")] + ".busy"
    busy = None
    if os.path.exists(busy_path):
        before, busy_ticks, total_ticks, hz = (int(x) for x in open(busy_path).read().split())
        during = max(busy_ticks / hz - cpu_s, 0.0) / max(total_ticks / hz, 1e-9)
        busy = f"{before}%/{100 * during:.0f}%"
    return {"wall": seconds, "rss_kb": rss, "cpu": int(cpu), "cpu_s": cpu_s, "status": status,
            "busy": busy}


def runs(name):
    out = []
    for path in sorted(glob.glob(os.path.join(res, f"{name}.*.time"))):
        r = path.rsplit(".", 2)[1]
        entry = time_v(path)
        extra = os.path.join(res, f"{name}.{r}.json")
        if os.path.exists(extra):
            entry["result"] = json.load(open(extra))
        manifest = os.path.join(res, f"{name}.{r}.manifest.json")
        if os.path.exists(manifest):
            entry["timings_ms"] = json.load(open(manifest))["timings_ms"]
        out.append(entry)
    return out


def median_run(entries):
    """The run with the median wall time (the lower middle one for an even count)."""
    ordered = sorted(entries, key=lambda e: e["wall"])
    return ordered[(len(ordered) - 1) // 2]


evaluation = json.load(open(os.path.join(res, "leadtune-run", "evaluation.json")))
lt_runs, tr_runs = runs("leadtune-run"), runs("leadtune-traits")
lt, tr = median_run(lt_runs), median_run(tr_runs)
t = lt["timings_ms"]
lt_bf = (t["traits.binning"] + t["fit.model"]) / 1000
contenders = [("pandas", "pandas + optbinning + scikit-learn"),
              ("polars", "polars (Python) + scikit-learn"),
              ("floor", "floor: one polars scan of the input columns")]


def gib(kb):
    return f"{kb / 1024 / 1024:.2f} GiB" if kb >= 1024 * 1024 else f"{kb / 1024:.0f} MiB"


def spread(entries):
    if len(entries) < 2:
        return ""
    walls = [e["wall"] for e in entries]
    return f" ({min(walls):.2f}-{max(walls):.2f})"


rows = []
rows.append({
    "contender": "leadtune run (whole pipeline: validate, traits, fit, reports, charts, HTML)",
    "key": "leadtune-run", "wall_s": lt["wall"], "wall_note": spread(lt_runs),
    "rss_kb": lt["rss_kb"], "cpu": lt["cpu"], "cpu_s": lt["cpu_s"], "binning_fit_s": lt_bf,
    "auc_validation": evaluation["validation"]["auc"], "auc_train": evaluation["train"]["auc"],
    "auc_note": f"integer points; exact points {evaluation['costs']['auc_exact_points']:.4f}",
})
rows.append({
    "contender": "leadtune traits (validate + trait discovery)", "key": "leadtune-traits",
    "wall_s": tr["wall"], "wall_note": spread(tr_runs), "rss_kb": tr["rss_kb"],
    "cpu": tr["cpu"], "cpu_s": tr["cpu_s"],
})
python = {}
for key, label in contenders:
    entries = runs(key)
    if not entries:
        continue
    e = median_run(entries)
    python[key] = e
    r = e.get("result", {})
    s = r.get("stages_s", {})
    row = {"contender": label, "key": key, "wall_s": e["wall"], "wall_note": spread(entries),
           "rss_kb": e["rss_kb"], "cpu": e["cpu"], "cpu_s": e["cpu_s"]}
    if "binning" in s:
        row["binning_fit_s"] = s["binning"] + s["fit"]
        row["auc_validation"] = r["auc_validation"]
        row["auc_train"] = r["auc_train"]
        row["auc_note"] = "probabilities"
    rows.append(row)
for row in rows:
    row["wall_ratio"] = row["wall_s"] / lt["wall"]
    if "binning_fit_s" in row:
        row["binning_fit_ratio"] = row["binning_fit_s"] / lt_bf

# The population check: every contender's training / validation leads and wins.
population = []
for key, e in python.items():
    r = e.get("result", {})
    if "train_leads" not in r:
        continue
    got = (r["train_leads"], r["train_wins"], r["validation_leads"], r["validation_wins"])
    want = (evaluation["train"]["leads"], evaluation["train"]["wins"],
            evaluation["validation"]["leads"], evaluation["validation"]["wins"])
    population.append((key, got, got == want))

machine = open(os.path.join(res, "machine.txt")).read().strip()
busy = {name: [e["busy"] for e in runs(name)]
        for name in ("leadtune-run", "leadtune-traits", "pandas", "polars", "floor")}


def fmt_ratio(x):
    return f"{x:.1f}x" if x >= 1 else f"{x:.2f}x"


md = []
md.append(f"### {leads:,} leads (seed {seed})")
md.append("")
md.append("| contender | wall | peak RSS | CPU user + sys | binning + fit | wall vs leadtune run | "
          "binning + fit vs leadtune | validation AUC | train AUC |")
md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for row in rows:
    bf = f"{row['binning_fit_s']:.2f} s" if "binning_fit_s" in row else "-"
    bfr = fmt_ratio(row["binning_fit_ratio"]) if "binning_fit_ratio" in row else "-"
    auc = f"{row['auc_validation']:.4f}" if "auc_validation" in row else "-"
    auc_t = f"{row['auc_train']:.4f}" if "auc_train" in row else "-"
    md.append(f"| {row['contender']} | {row['wall_s']:.2f} s{row['wall_note']} | "
              f"{gib(row['rss_kb'])} | {row['cpu_s']:.1f} s ({row['cpu']}%) | {bf} | "
              f"{fmt_ratio(row['wall_ratio'])} | {bfr} | {auc} | {auc_t} |")
md.append("")
md.append("Ratios are the contender's time over leadtune's (above 1: leadtune is faster). "
          "leadtune's binning + fit = `traits.binning` (discovery bins on the whole population) + "
          "`fit.model` (bins re-fitted on the training window, trait choice, IRLS, refits) "
          "from the run's manifest. The Python binning + fit = their `binning` + `fit` stages. "
          "leadtune's AUC is on its integer points, as in evaluation.json; the Python AUCs on "
          "predicted probabilities.")
md.append("")
md.append("Stages (seconds):")
md.append("")
md.append("| contender | import | read | features | binning | fit | score | in script | "
          "process wall |")
md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key, label in contenders:
    if key not in python:
        continue
    r = python[key].get("result", {})
    s = r.get("stages_s", {})
    cells = [f"{s[k]:.2f}" if k in s else "-"
             for k in ("import", "read", "features", "binning", "fit", "score")]
    md.append(f"| {label} | " + " | ".join(cells)
              + f" | {r.get('in_script_s', 0):.2f} | {python[key]['wall']:.2f} |")
md.append("")
for key, label in contenders:
    parts = python.get(key, {}).get("result", {}).get("parts_s")
    if parts:
        md.append(f"- {label}, within stages: "
                  + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
md.append("")
md.append("leadtune run, `timings_ms`: " + ", ".join(
    f"{k} {v / 1000:.2f}" for k, v in sorted(t.items())) + " (seconds)")
md.append("")
for key, got, same in population:
    md.append(f"- {key}: {got[0]:,} training leads ({got[1]:,} wins), {got[2]:,} validation leads "
              f"({got[3]:,} wins): {'the same as' if same else 'DIFFERENT FROM'} leadtune's "
              "evaluation.json")
for key in ("pandas", "polars"):
    r = python.get(key, {}).get("result", {})
    if "traits" in r:
        md.append(f"- {key} traits ({len(r['traits'])}): {', '.join(r['traits'])}"
                  + (f"; dropped for a coefficient against their WoE: {', '.join(r['dropped'])}"
                     if r.get("dropped") else ""))
md.append("")
if leads >= 1_000_000:
    md.append("Targets (from the issue, measured here):")
    auc_lt = evaluation["validation"]["auc"]
    for key, want in (("pandas", 20), ("polars", 3)):
        row = next((x for x in rows if x["key"] == key), None)
        if row is None:
            continue
        ratio = row["binning_fit_ratio"]
        d_auc = auc_lt - row["auc_validation"]
        md.append(f"- binning + fit >= {want}x faster than {row['contender']}: "
                  f"{ratio:.1f}x ({'met' if ratio >= want else 'NOT met'}); validation AUC "
                  f"{auc_lt:.4f} vs {row['auc_validation']:.4f} ({d_auc:+.4f}: "
                  + ("at least equal" if d_auc >= 0 else
                     "equal within 0.001" if d_auc >= -0.001 else "LOWER") + ")")
    md.append("")
others = "; ".join(f"{k} {', '.join(str(b) for b in v)}" for k, v in busy.items() if v)
md.append(f"Machine: {machine}. CPU used by other processes (share of both cores) in the second "
          f"before / during each measurement: {others}.")
text = "\n".join(md) + "\n"
os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
with open(out_md, "w") as f:
    f.write(text)
fields = ["contender", "wall_s", "rss_kb", "cpu_s", "cpu", "binning_fit_s", "wall_ratio",
          "binning_fit_ratio", "auc_validation", "auc_train"]
with open(out_csv, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["leads", "seed"] + fields)
    for row in rows:
        w.writerow([leads, seed] + [
            (f"{row[k]:.4f}" if isinstance(row.get(k), float) else row.get(k, ""))
            for k in fields])
print(text)
