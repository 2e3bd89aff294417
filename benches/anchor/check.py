"""Checks that the Python contenders model the same leads with the same traits as leadtune.

Run by `CHECK=1 benches/compare.sh N` (best at 20k-100k leads): the contenders then also write
their population (lead, outcome, split, every candidate trait) beside their result, and this
script verifies, exiting 1 on any difference:
1. pandas and polars built the same population, outcomes, split and trait values;
2. leadtune's own scores (scored_leads.parquet) on the Python training and validation leads give
   exactly the AUCs in leadtune's evaluation.json (same leads, same outcomes, same split);
3. every bin of traits.csv (leadtune's discovery over the whole population) holds the same
   leads and wins in the Python trait values, for every categorical trait and every numeric
   trait whose bin edges are printed exactly (integers).

Usage: check.py LEADTUNE_OUT PANDAS_POPULATION_CSV POLARS_POPULATION_CSV
"""

import csv
import json
import os
import sys

import polars as pl
from sklearn.metrics import roc_auc_score

lt_out, pandas_csv, polars_csv = sys.argv[1:4]
problems = []

a = pl.read_csv(pandas_csv, infer_schema_length=None).sort("lead_id")
b = pl.read_csv(polars_csv, infer_schema_length=None).sort("lead_id")
if a.height != b.height or not (a["lead_id"] == b["lead_id"]).all():
    problems.append(f"populations differ: {a.height} vs {b.height} leads")
else:
    for c in b.columns[1:]:
        x, y = a[c], b[c]
        if x.dtype.is_numeric() and y.dtype.is_numeric():
            diff = (x.cast(pl.Float64) - y.cast(pl.Float64)).abs().max() or 0.0
            if diff > 1e-9 or (x.is_null() != y.is_null()).any():
                problems.append(f"{c}: pandas and polars values differ (max {diff})")
        elif not (x.cast(pl.String).fill_null("\0") == y.cast(pl.String).fill_null("\0")).all():
            problems.append(f"{c}: pandas and polars values differ")
print(f"pandas vs polars: {b.height} leads, {b.width - 1} columns compared")

evaluation = json.load(open(os.path.join(lt_out, "evaluation.json")))
scored = pl.read_parquet(os.path.join(lt_out, "scored_leads.parquet"))
joined = b.select("lead_id", "won", "validation").join(scored, on="lead_id", how="left")
for part, is_valid in (("train", False), ("validation", True)):
    rows = joined.filter(pl.col("validation") == is_valid)
    want = evaluation[part]
    auc = roc_auc_score(rows["won"].to_numpy(), rows["score"].to_numpy())
    got = (rows.height, int(rows["won"].sum()))
    print(f"{part}: {got[0]} leads, {got[1]} wins; leadtune's scores on them: AUC {auc:.6f} "
          f"(evaluation.json: {want['leads']} leads, {want['wins']} wins, AUC {want['auc']:.6f})")
    if got != (want["leads"], want["wins"]) or abs(auc - want["auc"]) > 1e-9:
        problems.append(f"{part} leads differ from leadtune's")


def parse_range(label):
    if label.startswith("<= "):
        return None, float(label[3:])
    if label.startswith("> "):
        return float(label[2:]), None
    lo, hi = label.strip("(]").split(", ")
    return float(lo), float(hi)


bins_checked, traits_checked = 0, 0
by_trait = {}
for r in csv.DictReader(open(os.path.join(lt_out, "traits.csv"))):
    if r["flag"] in ("identity",) or r["trait"] not in b.columns:
        continue
    by_trait.setdefault(r["trait"], []).append(r)
for trait, rows in by_trait.items():
    col = pl.col(trait)
    numeric = rows[0]["kind"] != "categorical"
    values = [r["bin"] for r in rows if r["bin"] not in ("missing", "other")]
    if numeric:
        try:
            [parse_range(v) for v in values]
        except ValueError:
            continue
        # Edges are printed to 4 significant digits: exact only when the values (and so the
        # quantile cut points) are whole numbers.
        if not b.select((col.drop_nulls() == col.drop_nulls().round()).all()).item():
            continue
    traits_checked += 1
    for r in rows:
        label = r["bin"]
        if label == "missing":
            cond = col.is_null()
        elif label == "other":
            cond = col.is_not_null() & ~col.cast(pl.String).is_in(values)
        elif numeric:
            lo, hi = parse_range(label)
            cond = pl.lit(True)
            if lo is not None:
                cond = cond & (col > lo)
            if hi is not None:
                cond = cond & (col <= hi)
        else:
            cond = col.cast(pl.String) == label
        sel = b.filter(cond)
        got = (sel.height, int(sel["won"].sum()))
        want = (int(r["leads"]), int(r["wins"]))
        bins_checked += 1
        if got != want:
            problems.append(f"{trait} bin {label}: leadtune {want}, Python {got}")
print(f"traits.csv: {bins_checked} bins of {traits_checked} of {len(by_trait)} traits compared "
      "(numeric traits with fractional values skipped: their bin edges are printed rounded)")

if problems:
    print("DIFFERENCES:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("check: same population, split, outcomes and trait values as leadtune")
