"""Contender (c): polars (Python) + scikit-learn doing leadtune's fit.

polars reads the same CSV files and builds the same model population, split and traits;
leadtune's binning (binning.py: quantile pre-bins merged by the same exact IV programme under a
trend, categorical values with `other` and `missing`, smoothed WoE) runs on the training leads
with the counting done by polars / numpy; leadtune's selection rule picks the traits; scikit-learn's
LogisticRegression (the same L2 objective) fits the WoE columns; the validation leads are scored.

Usage: scorecard_polars.py DATA_DIR LEADTUNE_OUT RESULT_JSON
Stages timed: import, read, features, binning, fit, score.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

stages = common.Stages()
stages.start("import")
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
import binning  # noqa: E402

data, lt_out, result = common.args(sys.argv)
cfg = common.settings(os.path.join(lt_out, "manifest.json"))
SOLVER = os.environ.get("ANCHOR_SOLVER", "newton-cholesky")

# ---------------------------------------------------------------- read
stages.start("read")
# Every column as text (as leadtune reads them): types are decided below, per column, over all
# rows, so that a value like "TBD" on row 900,000 cannot break a type guessed from row 100.
leads = pl.read_csv(os.path.join(data, "leads.csv"), infer_schema=False)
deals = pl.read_csv(os.path.join(data, "deals.csv"), infer_schema=False)
acts = pl.read_csv(os.path.join(data, "activities.csv"), infer_schema=False,
                   columns=["lead_id", "occurred_at", "type"])
# The one input taken from leadtune: which leads match an existing customer (see README).
existing = pl.read_csv(os.path.join(lt_out, "existing_customers.csv"), infer_schema=False,
                       columns=["lead_id"])

# ---------------------------------------------------------------- features
stages.start("features")
DAY = common.DAY_MS


def text(name):
    """Trimmed text, leadtune's missing tokens as null."""
    t = pl.col(name).str.strip_chars()
    return pl.when(t.str.to_lowercase().is_in(common.MISSING_TOKENS)).then(None).otherwise(t)


def ms(name):
    """ISO date-time or date -> ms since the epoch (null when not a date)."""
    t = pl.col(name).str.strip_chars()
    return pl.coalesce(
        t.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="ms"),
        t.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="ms"),
        t.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("ms")),
    ).dt.epoch("ms")


leads = (leads.with_row_index("row")
         .with_columns(ms("created_at").alias("created_ms"))
         .filter(pl.col("created_ms").is_not_null())
         .unique("lead_id", keep="first", maintain_order=True))

status_map = {"won": "won", "closed won": "won", "win": "won", "lost": "lost",
              "closed lost": "lost", "loss": "lost", "open": "open", "in progress": "open",
              "pending": "open"}
deals = (deals
         .with_columns(
             pl.col("status").str.strip_chars().str.to_lowercase()
             .str.replace_all(r"[-_]", " ")
             .replace_strict(status_map, default=None).alias("status_n"),
             text("amount").alias("amount_t"),
             text("created_at").alias("created_t"), text("closed_at").alias("closed_t"))
         .with_columns(pl.col("amount_t").cast(pl.Float64, strict=False).alias("amount_n"),
                       ms("created_t").alias("created_ms"), ms("closed_t").alias("closed_ms"))
         .join(leads.select("lead_id", pl.col("created_ms").alias("lead_created")),
               on="lead_id", how="inner")
         .filter(pl.col("status_n").is_not_null(),
                 pl.col("amount_t").is_null() | pl.col("amount_n").is_not_null(),
                 pl.col("amount_n").is_null() | (pl.col("amount_n") >= 0),
                 pl.col("created_t").is_null() | pl.col("created_ms").is_not_null(),
                 pl.col("closed_t").is_null() | pl.col("closed_ms").is_not_null(),
                 ~((pl.col("status_n") == "won") & pl.col("closed_ms").is_null()),
                 (pl.col("closed_ms") >= pl.col("lead_created")).fill_null(True)))
acts = (acts.with_columns(ms("occurred_at").alias("t"), pl.col("type").str.strip_chars())
        .filter(pl.col("t").is_not_null())
        .join(leads.select("lead_id"), on="lead_id", how="semi"))

as_of = max(v for v in [leads["created_ms"].max(), deals["created_ms"].max(),
                        deals["closed_ms"].max(), acts["t"].max()] if v is not None)
won_ids = deals.filter(
    pl.col("status_n") == "won", pl.col("closed_ms") <= as_of,
    (pl.col("closed_ms") - pl.col("lead_created")) / DAY <= cfg["horizon_days"],
).select("lead_id")
population = (leads
              .filter(pl.col("created_ms") + cfg["horizon_days"] * DAY <= as_of,
                      ~pl.col("lead_id").is_in(existing["lead_id"].implode()))
              .with_columns(pl.col("lead_id").is_in(won_ids["lead_id"].implode()).alias("won"))
              .sort("created_ms", "row"))
n_valid = common.n_validation(population.height, cfg["validation_share"])
population = population.with_columns(
    (pl.int_range(pl.len()) >= population.height - n_valid).alias("validation"))
stages.part("population")

# Engagement traits as of the scoring date.
offset = int(cfg["scoring_offset_days"] * DAY)
prior = (acts.join(leads.select("lead_id", (pl.col("created_ms") + offset).alias("scoring")),
                   on="lead_id", how="inner")
         .filter(pl.col("t") <= pl.col("scoring"))
         .with_columns(((pl.col("scoring") - pl.col("t")) / DAY).alias("age")))
type_counts = prior["type"].value_counts()
total = type_counts["count"].sum()
common_types = type_counts.filter(pl.col("count") >= common.RARE_TYPE_SHARE * total)["type"]
names = {t: common.slug(t) for t in common_types.to_list()}
prior = prior.with_columns(pl.col("type").replace_strict(names, default="other").alias("kind"))
kinds = sorted(prior["kind"].unique().to_list())
aggs = []
for w in cfg["windows"]:
    within = pl.col("age") <= w
    aggs.append(within.sum().alias(f"activities_{w}d"))
    aggs += [((pl.col("kind") == k) & within).sum().alias(f"{k}_{w}d") for k in kinds]
aggs += [pl.col("kind").n_unique().alias("distinct_activity_types"),
         pl.col("age").min().alias("days_since_last_activity")]
per_lead = prior.group_by("lead_id").agg(aggs)
counts = [c for c in per_lead.columns if c not in ("lead_id", "days_since_last_activity")]
engagement_names = counts + ["days_since_last_activity"]
population = (population.join(per_lead, on="lead_id", how="left", maintain_order="left")
              .with_columns(pl.col(counts).fill_null(0).cast(pl.Float64)))
stages.part("engagement")

excluded = set(common.OWN_COLUMNS + common.IDENTITY_COLUMNS + common.LEAKY_COLUMNS)
lead_traits = [c for c in leads.columns
               if c not in excluded and c not in ("row", "created_ms")]
population = population.with_columns([text(c).alias(c) for c in lead_traits])
# A lead column is numeric when every value present is a number (as leadtune types traits).
parsed = population.select(
    [pl.col(c).cast(pl.Float64, strict=False).alias(c) for c in lead_traits])
numeric_cols = [c for c in lead_traits
                if parsed[c].null_count() == population[c].null_count()
                and population[c].null_count() < population.height]
population = population.with_columns([parsed[c] for c in numeric_cols])
categorical = [c for c in lead_traits if c not in numeric_cols]
candidates = lead_traits + engagement_names
train = population.filter(~pl.col("validation"))
valid = population.filter(pl.col("validation"))

# ---------------------------------------------------------------- binning
stages.start("binning")
totals = (train.height, int(train["won"].sum()))
train_y = train.select(pl.col("won").cast(pl.Int64))
trait_bins, ivs = {}, {}
for name in candidates:
    if name in categorical:
        grouped = train.group_by(name).agg(pl.len().alias("n"), pl.col("won").sum().alias("w"))
        missing = grouped.filter(pl.col(name).is_null())
        missing = (int(missing["n"].sum()), int(missing["w"].sum()))
        counts_by_value = {v: (n, w) for v, n, w in
                           grouped.filter(pl.col(name).is_not_null()).iter_rows()}
        bins, iv = binning.categorical(counts_by_value, missing, totals, cfg["min_bin_share"])
    else:
        present = pl.col(name).is_not_null() & pl.col(name).is_finite()
        s = train.select(name, "won").filter(present).sort(name)
        values = s[name].to_numpy()
        won_cumsum = np.cumsum(s["won"].to_numpy())
        n_missing = totals[0] - len(values)
        w_missing = totals[1] - (int(won_cumsum[-1]) if len(values) else 0)
        pre = binning.prebins(values, won_cumsum, cfg["prebins"])
        bins, iv, _ = binning.numeric(pre, (n_missing, w_missing), totals,
                                      cfg["min_bin_share"], cfg["max_bins"])
    trait_bins[name], ivs[name] = bins, iv
selected = common.select_traits(ivs, set(engagement_names), cfg["min_iv"], cfg["max_traits"])


def woe_expr(name):
    """A trait's WoE column from its bins (the same assignment as leadtune's)."""
    bins = trait_bins[name]
    col = pl.col(name)
    missing = next(w for rule, w in bins if rule[0] == "missing")
    if name in categorical:
        values = {rule[1]: w for rule, w in bins if rule[0] == "value"}
        other = next(w for rule, w in bins if rule[0] == "other")
        return (pl.when(col.is_null()).then(missing)
                .otherwise(col.replace_strict(values, default=other, return_dtype=pl.Float64))
                .alias(name))
    ranges = [(rule[1], w) for rule, w in bins if rule[0] == "range"]
    expr = pl.when(col.is_null() | ~col.is_finite()).then(missing)
    for hi, w in ranges[:-1]:
        expr = expr.when(col <= hi).then(w)
    return expr.otherwise(ranges[-1][1]).alias(name)


# ---------------------------------------------------------------- fit
stages.start("fit")
X_train = train.select([woe_expr(c) for c in selected])
stages.part("woe")
y_train = train["won"].to_numpy().astype(int)
dropped = []
while True:
    model = LogisticRegression(C=common.sklearn_c(cfg["l2"]), solver=SOLVER, max_iter=1000)
    model.fit(X_train.select(selected).to_numpy(), y_train)
    # leadtune's WoE has wins in the numerator: a trait with a negative coefficient works
    # against its own evidence next to the others. Drop the worst, refit.
    coef = model.coef_[0]
    worst = int(np.argmin(coef))
    if coef[worst] >= 0 or len(selected) == 1:
        break
    dropped.append(selected.pop(worst))
stages.part("logistic")

# ---------------------------------------------------------------- score
stages.start("score")
X_valid = valid.select([woe_expr(c) for c in selected]).to_numpy()
y_valid = valid["won"].to_numpy().astype(int)
auc_valid = roc_auc_score(y_valid, model.predict_proba(X_valid)[:, 1])
auc_train = roc_auc_score(y_train, model.predict_proba(X_train.select(selected).to_numpy())[:, 1])
stages.stop()

common.write_result(
    result, stages,
    contender="polars + scikit-learn",
    versions={"polars": pl.__version__, "scikit-learn": sklearn.__version__,
              "numpy": np.__version__},
    solver=SOLVER,
    auc_validation=auc_valid, auc_train=auc_train,
    train_leads=train.height, train_wins=int(y_train.sum()),
    validation_leads=valid.height, validation_wins=int(y_valid.sum()),
    validation_cut_ms=int(valid["created_ms"].min()) if valid.height else None,
    as_of_ms=int(as_of), candidates=candidates, traits=selected, dropped=dropped,
    train_iv={k: round(v, 6) for k, v in ivs.items()},
)
if os.environ.get("ANCHOR_WRITE_POPULATION"):
    # For checking (not timed): the population, its split and every candidate trait.
    population.select(["lead_id"] + candidates + ["won", "validation"]).write_csv(
        result + ".population.csv")
