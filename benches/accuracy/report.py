"""The accuracy bench's table: test AUC, Brier and ECE of leadtune and the two anchors on every
data set variant, and what each side left out.

Usage: report.py OUT DATASET...   (OUT/DATASET/plan.json lists the variants; see run.sh)
Writes OUT/results.csv and OUT/results.md and prints the markdown.

How each figure is computed, on the test rows only (DATASET/data/test-outcomes.csv):
- AUC: leadtune's of its integer `score` (`leadtune score` with the exported config),
  scikit-learn's of its probability, optbinning's of its negated integer points (its score falls
  as risk rises). sklearn.metrics.roc_auc_score (ties count half).
- Brier: mean of (p - y)^2, with p leadtune's `probability` (its calibration of the score),
  scikit-learn's probability, and optbinning's `Scorecard.predict_proba` (its estimator on the
  WoE of the bins, before points are rounded).
- ECE: sum over 10 equal-frequency bins of (leads in bin / leads) * |conversion - mean p|, the
  bins cut by p from the highest, tie groups kept whole (a group goes to the bin of its middle
  lead): leadtune's own definition (src/evaluate/metrics.rs `bands`, `ece`), applied to all three.
"""

import json
import math
import os
import re
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

# The data READMEs' reference test AUCs (same split, same set-up as anchors.py).
REFERENCE = {
    ("bank", "all-inputs"): {"sklearn": 0.8250, "optbinning": 0.8262},
    ("bank", "no-duration"): {"sklearn": 0.7392, "optbinning": 0.7108},
    ("shoppers", "all-inputs"): {"sklearn": 0.8662, "optbinning": 0.8493},
    ("shoppers", "no-pagevalues"): {"sklearn": 0.7486, "optbinning": 0.7628},
}
BINS = 10
BROKEN = []  # checks of the protocol that failed


def ece(y, p, q=BINS):
    """Expected calibration error over q equal-frequency bins, tie groups whole (as
    leadtune's src/evaluate/metrics.rs: bands from the highest p, a group's bin from its middle)."""
    order = np.argsort(-p, kind="stable")
    p, y = p[order], y[order]
    values, starts, sizes = np.unique(-p, return_index=True, return_counts=True)
    n = len(p)
    mids = starts + sizes / 2.0
    band = np.minimum(np.floor(q * mids / n).astype(int), q - 1)
    total = 0.0
    for b in np.unique(band):
        groups = np.flatnonzero(band == b)
        lo, hi = starts[groups[0]], starts[groups[-1]] + sizes[groups[-1]]
        total += (hi - lo) / n * abs(y[lo:hi].mean() - p[lo:hi].mean())
    return float(total)


def metrics(y, score, p):
    return {"auc": float(roc_auc_score(y, score)), "brier": float(np.mean((p - y) ** 2)),
            "ece": ece(y, p)}


def leadtune_dropped(folder, withheld):
    """What leadtune left out of its model, from its outputs: traits.csv (every trait it
    examined, flagged ones with their flag), scoring-config.json (the model's traits) and the
    console (run.log: traits dropped for a negative coefficient; every other trait that is
    not in the model was left out by the cross-validated selection)."""
    out = os.path.join(folder, "leadtune")
    traits = pd.read_csv(os.path.join(out, "traits.csv"), keep_default_na=False)
    model = [t["name"] for t in json.load(open(os.path.join(out, "scoring-config.json")))["traits"]]
    log = open(os.path.join(folder, "run.log"), encoding="utf-8").read()
    flagged = {}
    for trait, flag in traits[["trait", "flag"]].drop_duplicates().itertuples(index=False):
        if flag not in ("ok", "") and trait not in withheld:
            flagged.setdefault(flag, []).append(trait)
    negative = re.findall(r"^note: (\S+) dropped(?: and the model refitted)?: its coefficient "
                          r"came out negative", log, re.M)
    flagged_names = {t for names in flagged.values() for t in names}
    rest = sorted(set(traits["trait"]) - set(model) - flagged_names - set(negative)
                  - set(withheld))
    ev = json.load(open(os.path.join(out, "evaluation.json")))
    return {
        "model": model,
        "flagged": flagged,
        "negative_coefficient": negative,
        "not_selected": rest,
        "validation": {k: ev["validation"][k] for k in ("leads", "wins", "auc")},
        "train": {k: ev["train"][k] for k in ("leads", "wins", "auc")},
        "split": ev["split"],
        "refit": json.load(open(os.path.join(out, "scoring-config.json")))["training"].get(
            "refit", False),
    }


def leadtune_cell(d):
    parts = []
    for flag, names in sorted(d["flagged"].items()):
        parts.append(f"{', '.join(names)} ({flag})")
    if d["negative_coefficient"]:
        parts.append(f"{', '.join(d['negative_coefficient'])} (coefficient < 0)")
    if d["not_selected"]:
        if len(d["not_selected"]) > 12:
            parts.append(f"{len(d['not_selected'])} traits (cross-validation)")
        else:
            parts.append(f"{', '.join(d['not_selected'])} (cross-validation)")
    return "; ".join(parts) or "none"


def variant_row(out, dataset, plan):
    folder = os.path.join(out, dataset, plan["variant"])
    outcomes = pd.read_csv(os.path.join(out, dataset, "data", "test-outcomes.csv"))
    scores = pd.read_csv(os.path.join(folder, "scores.csv"))
    anchors = pd.read_csv(os.path.join(folder, "anchors.csv"))
    summary = json.load(open(os.path.join(folder, "anchors.json")))
    # Every test row scored once by each side.
    lt = outcomes.merge(scores, on="lead_id", how="left", validate="one_to_one")
    an = outcomes.merge(anchors, on="lead_id", how="left", validate="one_to_one")
    assert lt["score"].notna().all() and an["sklearn_p"].notna().all(), f"{folder}: rows unscored"
    y = outcomes["converted"].to_numpy()
    m = {
        "leadtune": metrics(y, lt["score"].to_numpy(float), lt["probability"].to_numpy(float)),
        "sklearn": metrics(y, an["sklearn_p"].to_numpy(), an["sklearn_p"].to_numpy()),
        "optbinning": metrics(y, -an["optbinning_points"].to_numpy(float),
                              an["optbinning_p"].to_numpy()),
    }
    dropped = leadtune_dropped(folder, plan["withheld"])
    # The protocol's check: its own validation rows (the last of the training rows in split
    # order), scored by `leadtune score`, give the AUC of the run's evaluation.json.
    train = pd.read_csv(os.path.join(out, dataset, "data", "train-outcomes.csv"))
    held = train.iloc[len(train) - dropped["validation"]["leads"]:].merge(
        pd.read_csv(os.path.join(folder, "train-scores.csv")), on="lead_id", how="left",
        validate="one_to_one")
    rescored = float(roc_auc_score(held["converted"], held["score"]))
    # A refitted config has seen the validation rows: its score there is not the validation
    # AUC (which describes the model fitted on the training window alone).
    if not dropped["refit"] and abs(rescored - dropped["validation"]["auc"]) > 1e-9:
        BROKEN.append(f"{folder}: `leadtune score` on leadtune's validation rows gives AUC "
                      f"{rescored:.6f}, its evaluation.json {dropped['validation']['auc']:.6f}")
    unseen = [" ".join(line.split()) for line in open(os.path.join(folder, "score.log"))
              if "unseen values" in line and not line.strip().split()[1] == "0"]
    ref = REFERENCE.get((dataset, plan["variant"]), {})
    row = {
        "dataset": dataset, "variant": plan["variant"], "label": plan["label"],
        "withheld": " ".join(plan["withheld"]),
        "train_rows": summary["train_rows"], "train_conversions": summary["train_wins"],
        "test_rows": summary["test_rows"], "test_conversions": summary["test_wins"],
    }
    for side in ("leadtune", "sklearn", "optbinning"):
        for k in ("auc", "brier", "ece"):
            row[f"{side}_{k}"] = round(m[side][k], 4)
    row["sklearn_auc_reference"] = ref.get("sklearn")
    row["optbinning_auc_reference"] = ref.get("optbinning")
    row["leadtune_validation_auc"] = round(dropped["validation"]["auc"], 4)
    row["leadtune_validation_auc_rescored"] = round(rescored, 4)
    row["leadtune_fit_rows"] = dropped["train"]["leads"]
    row["leadtune_traits"] = " ".join(dropped["model"])
    row["leadtune_dropped"] = leadtune_cell(dropped)
    row["sklearn_dropped"] = "none"
    row["optbinning_dropped"] = "; ".join(summary["optbinning"]["dropped"]) or "none"
    row["optbinning_traits"] = len(summary["inputs"]) - len(summary["optbinning"]["dropped"])
    row["inputs"] = len(summary["inputs"])
    detail = {"row": row, "leadtune": dropped, "unseen": unseen,
              "sklearn_auc_train": summary["sklearn"]["auc_train"],
              "optbinning_auc_train": summary["optbinning"]["auc_train"]}
    return row, detail


def fmt(x):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4f}"


def markdown(rows, details, machine):
    lines = [
        "| data set | train / test rows (test conv.) | AUC leadtune | AUC sklearn | "
        "AUC optbinning | Brier lt / sk / ob | ECE lt / sk / ob | leadtune dropped | "
        "optbinning dropped | sklearn dropped |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for r in rows:
        ref = ""
        if r["sklearn_auc_reference"] is not None:
            ref = f" (ref. {r['sklearn_auc_reference']:.4f})"
        refo = ""
        if r["optbinning_auc_reference"] is not None:
            refo = f" (ref. {r['optbinning_auc_reference']:.4f})"
        lines.append(
            f"| {r['label']} | {r['train_rows']:,} / {r['test_rows']:,} "
            f"({100 * r['test_conversions'] / r['test_rows']:.1f}%) "
            f"| {fmt(r['leadtune_auc'])} | {fmt(r['sklearn_auc'])}{ref} "
            f"| {fmt(r['optbinning_auc'])}{refo} "
            f"| {fmt(r['leadtune_brier'])} / {fmt(r['sklearn_brier'])} / "
            f"{fmt(r['optbinning_brier'])} "
            f"| {fmt(r['leadtune_ece'])} / {fmt(r['sklearn_ece'])} / {fmt(r['optbinning_ece'])} "
            f"| {r['leadtune_dropped']} | {r['optbinning_dropped']} | {r['sklearn_dropped']} |")
    lines += [
        "",
        "AUC on the test rows: leadtune's integer score from `leadtune score` with the exported "
        "config, scikit-learn's probability, optbinning's negated integer points. Brier and ECE "
        f"on probabilities; ECE over {BINS} equal-frequency bins (tie groups kept whole, as "
        "leadtune's src/evaluate/metrics.rs). ref. = the data README's reference figure.",
        "",
    ]
    for d in details:
        r, lt = d["row"], d["leadtune"]
        lines.append(f"- **{r['label']}**: leadtune fitted its model on {lt['train']['leads']:,} "
                     f"of the {r['train_rows']:,} training rows and held out "
                     f"{lt['validation']['leads']:,} ({lt['split']} split; its validation AUC "
                     f"{lt['validation']['auc']:.4f}, "
                     + (f"then refitted on every mature training row for the deployed "
                        f"config, which scores those held-out rows at "
                        f"{r['leadtune_validation_auc_rescored']:.4f}; "
                        if lt["refit"] else
                        f"the same from `leadtune score`: "
                        f"{r['leadtune_validation_auc_rescored']:.4f}; ")
                     + f"train {lt['train']['auc']:.4f}); "
                     f"model traits ({len(lt['model'])}): {', '.join(lt['model'])}.")
        if lt["not_selected"]:
            lines.append(f"  Not selected ({len(lt['not_selected'])}): "
                         f"{', '.join(lt['not_selected'])}.")
        if d["unseen"]:
            lines.append(f"  `leadtune score` on the test rows: {'; '.join(d['unseen'])}.")
        lines.append(f"  Train AUC: sklearn {d['sklearn_auc_train']:.4f}, optbinning "
                     f"{d['optbinning_auc_train']:.4f}; optbinning kept "
                     f"{r['optbinning_traits']} of {r['inputs']} inputs.")
    lines += ["", machine.strip()]
    return "\n".join(lines) + "\n"


def main():
    out, datasets = sys.argv[1], sys.argv[2:]
    rows, details = [], []
    for dataset in datasets:
        for plan in json.load(open(os.path.join(out, dataset, "plan.json"))):
            row, detail = variant_row(out, dataset, plan)
            rows.append(row)
            details.append(detail)
    pd.DataFrame(rows).to_csv(os.path.join(out, "results.csv"), index=False)
    machine = open(os.path.join(out, "machine.txt")).read()
    text = markdown(rows, details, machine)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)
    mismatch = [f"{r['label']}: {side} {r[side + '_auc']:.4f}, reference {r[side + '_auc_reference']:.4f}"
                for r in rows for side in ("sklearn", "optbinning")
                if r[side + "_auc_reference"] is not None
                and abs(r[side + "_auc"] - r[side + "_auc_reference"]) > 0.00005]
    if mismatch:
        print("accuracy: the anchors do not reproduce the README reference figures:\n  "
              + "\n  ".join(mismatch), file=sys.stderr)
    print(f"accuracy: wrote {out}/results.csv and {out}/results.md", file=sys.stderr)
    if BROKEN:
        sys.exit("accuracy: the protocol is broken:\n  " + "\n  ".join(BROKEN))
    print("accuracy: check passed: on every variant not refitted, `leadtune score` on "
          "leadtune's own validation rows gives the validation AUC of its evaluation.json",
          file=sys.stderr)


if __name__ == "__main__":
    main()
