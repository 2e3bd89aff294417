"""Prepares one data set of the accuracy bench: splits it, writes leadtune's training and test
inputs with a leadtune.toml per variant, and fits the two anchors (anchors.py) on the same rows.

Usage:
  prepare.py bank OUT          ../shared/data/bank-marketing/bank-full.csv
  prepare.py shoppers OUT      ../shared/data/online-shoppers/online_shoppers_intention.csv
  prepare.py generated OUT     a `leadtune generate` history in OUT/history, with the output of
                               `leadtune traits` on all of it in OUT/history-traits

Writes, under OUT:
  data/train-leads.csv, data/test-leads.csv   leadtune's inputs: the training rows (with the
      outcome) and the test rows (without it); generated: also train-deals.csv, test-deals.csv
      (the test leads' deals created before their scoring dates, for `stage_reached`),
      train-activities.csv (the training leads' rows) and test-activities.csv
  data/test-outcomes.csv                      lead_id, converted (0/1) of the test rows
  data/train-outcomes.csv                     the same of the training rows, in split order
  VARIANT/leadtune.toml                       leadtune's config for the variant
  VARIANT/anchors.csv                         per test row: lead_id, sklearn_p, optbinning_p,
                                              optbinning_points
  VARIANT/anchors.json                        train AUCs, what the anchors left out, versions
  plan.json                                   the variants, and leadtune's --as-of if any
and prints one line per variant: its folder and the --as-of to give leadtune (or "-").

A variant withholds columns from both sides: leadtune gets them listed in `[traits] exclude`,
the anchors do not get them. The split is the data README's: the first 75% of rows (by
row order; generated: by created_at, then row) train, the rest test.
"""

import csv
import json
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchors  # noqa: E402

SHARED = "../shared/data"  # relative to the repo root (run.sh runs from there)
BANK = f"{SHARED}/bank-marketing/bank-full.csv"
BANK_SHA256 = "d1513ec63b385506f7cfce9f2c5caa9fe99e7ba4e8c3fa264b3aaf0f849ed32d"
SHOPPERS = f"{SHARED}/online-shoppers/online_shoppers_intention.csv"
SHOPPERS_SHA256 = "9895055fb6c7b5376c93a850c2707522646a1cadf234cdc687fcc38a2cde180b"
TRAIN_SHARE = 0.75
DAY_MS = 86_400_000


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_file(path, want):
    if not os.path.exists(path):
        sys.exit(f"prepare: {path} is missing: ../shared must sit beside the repo")
    if sha256(path) != want:
        sys.exit(f"prepare: {path} is not the file its README describes (sha256 differs)")


def toml_list(names):
    return "[" + ", ".join(json.dumps(n) for n in names) + "]"


def write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)


def fit_anchors(out, variant, categorical, numeric, X, y, cut, lead_ids):
    """Fits both anchors on rows [:cut] of X (the variant's columns), writes their test
    predictions and a summary."""
    t0 = time.perf_counter()
    fitted = anchors.fit(categorical, numeric, X.iloc[:cut], y[:cut], X.iloc[cut:])
    folder = os.path.join(out, variant)
    os.makedirs(folder, exist_ok=True)
    pd.DataFrame({
        "lead_id": lead_ids[cut:],
        "sklearn_p": fitted["sklearn"]["p_test"],
        "optbinning_p": fitted["optbinning"]["p_test"],
        "optbinning_points": fitted["optbinning"]["points_test"],
    }).to_csv(os.path.join(folder, "anchors.csv"), index=False, float_format="%.17g")
    summary = {
        "inputs": list(X.columns), "categorical": categorical, "numeric": numeric,
        "train_rows": int(cut), "train_wins": int(y[:cut].sum()),
        "test_rows": int(len(y) - cut), "test_wins": int(y[cut:].sum()),
        "sklearn": {"auc_train": fitted["sklearn"]["auc_train"],
                    "dropped": fitted["sklearn"]["dropped"]},
        "optbinning": {"auc_train": fitted["optbinning"]["auc_train"],
                       "dropped": fitted["optbinning"]["dropped"],
                       "iv": fitted["optbinning"]["iv"]},
        "versions": anchors.versions(),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with open(os.path.join(folder, "anchors.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"prepare: {variant}: anchors fitted in {summary['seconds']} s "
          f"(sklearn train AUC {summary['sklearn']['auc_train']:.4f})", file=sys.stderr)


def split_lines(path, lead_lines, cut, out):
    """Real data without an id: leadtune's inputs from the file's own lines, text unchanged,
    with `lead_id` (the 1-based row number) and any extra leading fields from lead_lines(i)
    put in front; the test file drops the outcome (the last field). Returns the ids."""
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    header, rows = lines[0], lines[1:]
    sep = ";"
    train = [lead_lines(None) + sep + header]
    test = [lead_lines(None) + sep + header.rsplit(sep, 1)[0]]
    for i, line in enumerate(rows):
        full = lead_lines(i) + sep + line
        (train if i < cut else test).append(full if i < cut else full.rsplit(sep, 1)[0])
    write_text(os.path.join(out, "data", "train-leads.csv"), "\n".join(train) + "\n")
    write_text(os.path.join(out, "data", "test-leads.csv"), "\n".join(test) + "\n")
    return np.arange(1, len(rows) + 1)


def write_outcomes(out, lead_ids, y, cut):
    """The outcomes of the test rows, and of the training rows in the order leadtune splits
    them (file order, or created_at then row): report.py checks with the latter that `leadtune
    score` gives back the validation AUC of `leadtune run`."""
    for name, rows in (("test", slice(cut, None)), ("train", slice(None, cut))):
        pd.DataFrame({"lead_id": lead_ids[rows], "converted": y[rows]}).to_csv(
            os.path.join(out, "data", f"{name}-outcomes.csv"), index=False)


def bank(out):
    """bank-full.csv: `y` the outcome, `unknown` a missing value (the project's bank config in
    scripts/compare-outputs.sh), created_at from the day and month with the year counted from
    where the month goes back (the README's inference: the dates never decrease)."""
    check_file(BANK, BANK_SHA256)
    d = pd.read_csv(BANK, sep=";")
    y = (d.pop("y") == "yes").astype(int).to_numpy()
    month = d["month"].map({m: i + 1 for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split())})
    year = 2008 + (month.diff() < 0).cumsum()
    created = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": d["day"]}))
    assert created.is_monotonic_increasing, "bank-full.csv's dates go back: not the README's file"
    created = created.dt.strftime("%Y-%m-%d").to_numpy()
    cut = int(len(d) * TRAIN_SHARE)  # 33,908: rows 1-33,908 train, 33,909-45,211 test

    def lead(i):
        return '"lead_id";"created_at"' if i is None else f"{i + 1};{created[i]}"

    ids = split_lines(BANK, lead, cut, out)
    write_outcomes(out, ids, y, cut)
    categorical = ["job", "marital", "education", "default", "housing", "loan", "contact",
                   "month", "poutcome"]
    variants = [("all-inputs", "bank-full, all 16 inputs", []),
                ("no-duration", "bank-full, 15 inputs (without duration)", ["duration"])]
    plan = []
    for name, label, withheld in variants:
        X = d.drop(columns=withheld)
        numeric = [c for c in X.columns if c not in categorical]
        write_text(os.path.join(out, name, "leadtune.toml"), f"""\
# Written by benches/accuracy/prepare.py: bank-full.csv's training rows (the first 75%).
[input]
leads = "../data/train-leads.csv"
delimiter = ";"

[columns]
converted = "y"              # yes / no

[traits]
missing = ["unknown"]        # the file's token for a missing value
exclude = {toml_list(withheld)}

[output]
dir = "leadtune"
""")
        fit_anchors(out, name, categorical, numeric, X, y, cut, ids)
        plan.append({"variant": name, "label": label, "withheld": withheld, "as_of": None})
    return plan


def shoppers(out):
    """online_shoppers_intention.csv: `Revenue` the outcome; the integer codes declared
    categorical (as the anchors take them); no date beyond Month, which the file is only roughly
    sorted by, so no created_at: leadtune's own validation split is the last rows of the file
    (`file_order`)."""
    check_file(SHOPPERS, SHOPPERS_SHA256)
    d = pd.read_csv(SHOPPERS, sep=";")
    y = d.pop("Revenue").astype(int).to_numpy()
    categorical = ["Month", "VisitorType", "Weekend", "OperatingSystems", "Browser", "Region",
                   "TrafficType"]
    for c in categorical:
        d[c] = d[c].astype(str)
    cut = int(len(d) * TRAIN_SHARE)  # 9,247: rows 1-9,247 train, 9,248-12,330 test
    ids = split_lines(SHOPPERS, lambda i: '"lead_id"' if i is None else str(i + 1), cut, out)
    write_outcomes(out, ids, y, cut)
    variants = [("all-inputs", "online shoppers, all 17 inputs", []),
                ("no-pagevalues", "online shoppers, 16 inputs (without PageValues)",
                 ["PageValues"])]
    plan = []
    for name, label, withheld in variants:
        X = d.drop(columns=withheld)
        numeric = [c for c in X.columns if c not in categorical]
        write_text(os.path.join(out, name, "leadtune.toml"), f"""\
# Written by benches/accuracy/prepare.py: online_shoppers_intention.csv's training rows (the
# first 75%).
[input]
leads = "../data/train-leads.csv"
delimiter = ";"

[columns]
converted = "Revenue"        # TRUE / FALSE

[traits]
categorical = {toml_list(categorical[3:])}   # integer codes
exclude = {toml_list(withheld)}

[model]
validation = "file_order"    # no dates; the rows are roughly in time order

[output]
dir = "leadtune"
""")
        fit_anchors(out, name, categorical, numeric, X, y, cut, ids)
        plan.append({"variant": name, "label": label, "withheld": withheld, "as_of": None})
    return plan


# --- generated histories ------------------------------------------------------------------
# leadtune's own columns and the identity columns (never traits; leadtune flags the latter by
# name on these histories), as benches/anchor/common.py lists them.
OWN_COLUMNS = ["lead_id", "created_at", "first_response_at", "mql_at", "sql_at", "converted",
               "owner"]
IDENTITY_COLUMNS = ["company", "email", "domain", "contact_name"]
RARE_TYPE_SHARE = 0.001


def to_ms(text):
    t = pd.to_datetime(text, format="ISO8601", errors="coerce")
    return (t - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)


def population(history, traits_out):
    """The model population of a generated history by leadtune's rules, transcribed from
    benches/anchor/scorecard_pandas.py (checked there against leadtune, CHECK=1): valid leads
    (a date, the first of a duplicate id), outcome = a valid won deal closed within the horizon,
    mature leads only, existing customers (leadtune's matches) out. Returns the leads frame
    with `row`, `created_ms`, `won` sorted by (created_at, row), the activities, and settings."""
    manifest = json.load(open(os.path.join(traits_out, "manifest.json")))
    config = manifest["config"]
    horizon = config["outcome"]["horizon_days"]
    leads = pd.read_csv(os.path.join(history, "leads.csv"))
    deals = pd.read_csv(os.path.join(history, "deals.csv"))
    acts = pd.read_csv(os.path.join(history, "activities.csv"),
                       usecols=["lead_id", "occurred_at", "type"])
    existing = pd.read_csv(os.path.join(traits_out, "existing_customers.csv"),
                           usecols=["lead_id"])

    leads["row"] = np.arange(len(leads))
    leads["created_ms"] = to_ms(leads["created_at"])
    leads = leads[leads["created_ms"].notna()].drop_duplicates("lead_id", keep="first")
    leads = leads.set_index("lead_id")
    created = leads["created_ms"]

    status = (deals["status"].astype(str).str.strip().str.lower()
              .str.replace(r"[-_]", " ", regex=True))
    deals["status_n"] = status.map({"won": "won", "closed won": "won", "win": "won",
                                    "lost": "lost", "closed lost": "lost", "loss": "lost",
                                    "open": "open", "in progress": "open", "pending": "open"})
    amount = pd.to_numeric(deals["amount"], errors="coerce")
    d_created, d_closed = to_ms(deals["created_at"]), to_ms(deals["closed_at"])
    lead_created = deals["lead_id"].map(created)
    ok = (deals["status_n"].notna()
          & ~(deals["amount"].notna() & amount.isna()) & ~(amount < 0)
          & ~(deals["created_at"].notna() & d_created.isna())
          & ~(deals["closed_at"].notna() & d_closed.isna())
          & lead_created.notna()
          & ~((deals["status_n"] == "won") & d_closed.isna())
          & ~(d_closed < lead_created))
    deals = deals.assign(created_ms=d_created, closed_ms=d_closed, lead_created=lead_created)[ok]
    acts["t"] = to_ms(acts["occurred_at"])
    acts = acts[acts["t"].notna() & acts["lead_id"].isin(created.index)]

    as_of = np.nanmax([created.max(), deals["created_ms"].max(), deals["closed_ms"].max(),
                       acts["t"].max()])
    as_of_text = manifest["outcome"]["as_of"]
    assert int(as_of) == int(to_ms(pd.Series([as_of_text])).iloc[0]), \
        f"the data's end {as_of} is not leadtune's {as_of_text}"
    won_deals = deals[(deals["status_n"] == "won") & (deals["closed_ms"] <= as_of)
                      & ((deals["closed_ms"] - deals["lead_created"]) / DAY_MS <= horizon)]
    won = created.index.isin(won_deals["lead_id"])
    mature = (created + horizon * DAY_MS <= as_of).to_numpy()
    keep = mature & ~created.index.isin(existing["lead_id"])
    pop = leads[keep].assign(won=won[keep].astype(int))
    pop = pop.sort_values(["created_ms", "row"], kind="stable")

    # The same leads and wins as leadtune's trait discovery on the whole history (traits.csv:
    # every trait's bins add up to its population).
    traits = pd.read_csv(os.path.join(traits_out, "traits.csv"))
    source = traits[traits["trait"] == "source"]
    assert (int(source["leads"].sum()), int(source["wins"].sum())) == \
        (len(pop), int(pop["won"].sum())), "the population differs from leadtune's"
    return pop, acts, config, as_of_text


def engagement(pop, acts, config):
    """The activity traits leadtune derives (src/traits/engagement.rs), as scorecard_pandas.py
    computes them: activities up to created_at + scoring_offset_days; per type (types under
    0.1% pooled as `other`) and in total in each window; distinct types; days since the last.
    leadtune's `engagement_decayed` (a fitted half-life) is not among them."""
    offset = int(config["traits"]["scoring_offset_days"] * DAY_MS)
    a = acts.join((pop["created_ms"] + offset).rename("scoring_ms"), on="lead_id", how="inner")
    a = a[a["t"] <= a["scoring_ms"]]
    a["age"] = (a["scoring_ms"] - a["t"]) / DAY_MS
    counts = a["type"].value_counts()
    common_types = counts[counts >= RARE_TYPE_SHARE * counts.sum()].index
    a["kind"] = a["type"].where(a["type"].isin(common_types), "other").map(
        lambda s: "".join(c if c.isalnum() else "_" for c in s.strip().lower()).strip("_"))
    kinds = sorted(a["kind"].unique())
    per_lead = a.groupby("lead_id").agg(distinct_activity_types=("kind", "nunique"),
                                        days_since_last_activity=("age", "min"))
    out = {}
    for w in config["traits"]["activity_windows"]:
        within = a[a["age"] <= w]
        per_type = within.groupby(["lead_id", "kind"]).size().unstack(fill_value=0)
        per_type = per_type.reindex(index=per_lead.index, columns=kinds, fill_value=0)
        out[f"activities_{w}d"] = per_type.sum(axis=1)
        for k in kinds:
            out[f"{k}_{w}d"] = per_type[k]
    out = pd.DataFrame(out, index=per_lead.index)
    out["distinct_activity_types"] = per_lead["distinct_activity_types"]
    out = out.reindex(pop.index).fillna(0.0)
    out["days_since_last_activity"] = per_lead["days_since_last_activity"]
    return out


def copy_records(src, dst, keep):
    """The CSV records of src for which keep(number, lead_id) holds (number: the record's
    0-based position, blank lines skipped as pandas skips them), with the header; field text
    as it is (re-quoted only where the csv module needs to)."""
    with open(src, newline="", encoding="utf-8") as f, \
            open(dst, "w", newline="", encoding="utf-8") as g:
        reader, writer = csv.reader(f), csv.writer(g, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        i = header.index("lead_id")
        n = 0
        for rec in reader:
            if not rec:
                continue
            if keep(n, rec[i]):
                writer.writerow(rec)
            n += 1


def generated(out):
    history = os.path.join(out, "history")
    traits_out = os.path.join(out, "history-traits")
    pop, acts, config, as_of = population(history, traits_out)
    cut = int(len(pop) * TRAIN_SHARE)
    train_ids, test_ids = set(pop.index[:cut]), set(pop.index[cut:])
    train_rows, test_rows = set(pop["row"].iloc[:cut]), set(pop["row"].iloc[cut:])

    # The funnel stage each lead reached strictly before its scoring date, as leadtune's
    # `stage_reached` (src/traits/stage.rs): 1 MQL, 2 SQL, 3 a deal created (any status).
    offset = int(config["traits"]["scoring_offset_days"] * DAY_MS)
    raw_deals = pd.read_csv(os.path.join(history, "deals.csv"), usecols=["lead_id", "created_at"])
    raw_deals["created_ms"] = to_ms(raw_deals["created_at"])
    scoring = raw_deals["lead_id"].map(pop["created_ms"] + offset)
    early_deals = set(raw_deals.index[raw_deals["created_ms"] < scoring])
    first_deal = raw_deals.groupby("lead_id")["created_ms"].min().reindex(pop.index)
    scoring_ms = pop["created_ms"] + offset
    stage = pd.Series(0.0, index=pop.index)
    for level, reached in ((1, to_ms(pop["mql_at"]) < scoring_ms),
                           (2, to_ms(pop["sql_at"]) < scoring_ms),
                           (3, first_deal < scoring_ms)):
        stage[reached.fillna(False).to_numpy()] = float(level)

    # leadtune's inputs: the population's own lead records (by row: a duplicate id's later
    # rows stay out), their deals (training leads: all; test leads: those created before the
    # scoring date) and activities.
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    for table, name, keep in (
            ("leads", "train-leads", lambda n, lead: n in train_rows),
            ("leads", "test-leads", lambda n, lead: n in test_rows),
            ("deals", "train-deals", lambda n, lead: lead in train_ids),
            # What `leadtune score` may know of a test lead's deals: those created before its
            # scoring date (an opportunity reached then, for `stage_reached`), nothing later.
            ("deals", "test-deals", lambda n, lead: n in early_deals and lead in test_ids),
            ("activities", "train-activities", lambda n, lead: lead in train_ids),
            ("activities", "test-activities", lambda n, lead: lead in test_ids)):
        copy_records(os.path.join(history, f"{table}.csv"), os.path.join(data, f"{name}.csv"),
                     keep)
    y = pop["won"].to_numpy()
    ids = pop.index.to_numpy()
    write_outcomes(out, ids, y, cut)

    # The anchors' inputs: the lead columns leadtune could score on, and the activity traits.
    lead_traits = [c for c in pop.columns
                   if c not in OWN_COLUMNS + IDENTITY_COLUMNS + ["row", "created_ms", "won"]]
    X = pd.concat([pop[lead_traits], engagement(pop, acts, config),
                   stage.rename("stage_reached")], axis=1)
    categorical = [c for c in lead_traits if not pd.api.types.is_numeric_dtype(X[c])]
    for c in categorical:
        X[c] = X[c].astype(object).where(X[c].notna(), "(missing)").astype(str)
    truth = json.load(open(os.path.join(history, "truth.json")))
    name = f"generated {truth['leads'] // 1000}k (seed {truth['seed']})"
    variants = [("all-inputs", f"{name}, all lead columns + activity traits", []),
                ("no-leak", f"{name}, without sales_note_status (a planted leak)",
                 ["sales_note_status"])]
    plan = []
    for name, label, withheld in variants:
        Xv = X.drop(columns=withheld)
        cat = [c for c in categorical if c not in withheld]
        num = [c for c in Xv.columns if c not in cat]
        write_text(os.path.join(out, name, "leadtune.toml"), f"""\
# Written by benches/accuracy/prepare.py: the training leads (the oldest 75% of the model
# population) of the generated history in ../history, with their deals and activities. Run
# with --as-of {as_of} (the whole history's end), so that they are as mature as there.
[input]
leads = "../data/train-leads.csv"
deals = "../data/train-deals.csv"
activities = "../data/train-activities.csv"

[traits]
exclude = {toml_list(withheld)}

[outcome]
horizon_days = {config["outcome"]["horizon_days"]}

[output]
dir = "leadtune"
""")
        fit_anchors(out, name, cat, num, Xv, y, cut, ids)
        plan.append({"variant": name, "label": label, "withheld": withheld, "as_of": as_of})
    return plan


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("bank", "shoppers", "generated"):
        sys.exit("usage: prepare.py bank|shoppers|generated OUT")
    kind, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    plan = {"bank": bank, "shoppers": shoppers, "generated": generated}[kind](out)
    with open(os.path.join(out, "plan.json"), "w") as f:
        json.dump(plan, f, indent=1)
    for p in plan:
        print(os.path.join(out, p["variant"]), p["as_of"] or "-")


if __name__ == "__main__":
    main()
