"""Contender (b): the credit-scorecard stack an analyst uses today.

pandas reads the same CSV files and builds the same model population and traits as leadtune;
optbinning's BinningProcess bins every candidate trait on the training leads; leadtune's
selection rule picks the traits from the binned IVs; optbinning's Scorecard with scikit-learn's
LogisticRegression (the same L2 objective as leadtune) fits them; the validation leads (the
same time split) are scored and the AUC measured.

Usage: scorecard_pandas.py DATA_DIR LEADTUNE_OUT RESULT_JSON
Stages timed: import, read, features (population, outcome, split, engagement traits), binning,
fit, score.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

stages = common.Stages()
stages.start("import")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
import optbinning  # noqa: E402
from optbinning import BinningProcess, Scorecard  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

warnings.filterwarnings("ignore")

data, lt_out, result = common.args(sys.argv)
cfg = common.settings(os.path.join(lt_out, "manifest.json"))
N_JOBS = int(os.environ.get("ANCHOR_OPTBINNING_JOBS", "2"))  # both cores, as leadtune
SOLVER = os.environ.get("ANCHOR_SOLVER", "newton-cholesky")

# ---------------------------------------------------------------- read
stages.start("read")
leads = pd.read_csv(os.path.join(data, "leads.csv"))
deals = pd.read_csv(os.path.join(data, "deals.csv"))
acts = pd.read_csv(os.path.join(data, "activities.csv"),
                   usecols=["lead_id", "occurred_at", "type"])
# The one input taken from leadtune: which leads match an existing customer (domain, email,
# email domain or normalised company name), see README.
existing = pd.read_csv(os.path.join(lt_out, "existing_customers.csv"), usecols=["lead_id"])

# ---------------------------------------------------------------- features
stages.start("features")


def to_ms(text):
    """ISO dates / date-times -> ms since the epoch (NaN when unparseable)."""
    t = pd.to_datetime(text, format="ISO8601", errors="coerce")
    return (t - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)


def bad_date(text, ms):
    return text.notna() & ms.isna()


# Leads: rejected when created_at is missing or not a date; the first of a duplicate id kept.
leads["row"] = np.arange(len(leads))
leads["created_ms"] = to_ms(leads["created_at"])
leads = leads[leads["created_ms"].notna()].drop_duplicates("lead_id", keep="first")
leads = leads.set_index("lead_id")
created = leads["created_ms"]

# Deals: status as CRMs spell it, amounts missing / not a number / negative, dates.
status = (deals["status"].astype(str).str.strip().str.lower()
          .str.replace(r"[-_]", " ", regex=True))
deals["status_n"] = status.map({"won": "won", "closed won": "won", "win": "won",
                                "lost": "lost", "closed lost": "lost", "loss": "lost",
                                "open": "open", "in progress": "open", "pending": "open"})
amount = pd.to_numeric(deals["amount"], errors="coerce")
d_created = to_ms(deals["created_at"])
d_closed = to_ms(deals["closed_at"])
lead_created = deals["lead_id"].map(created)
ok = (deals["status_n"].notna()
      & ~(deals["amount"].notna() & amount.isna()) & ~(amount < 0)
      & ~bad_date(deals["created_at"], d_created) & ~bad_date(deals["closed_at"], d_closed)
      & lead_created.notna()
      & ~((deals["status_n"] == "won") & d_closed.isna())
      & ~(d_closed < lead_created))
deals = deals.assign(created_ms=d_created, closed_ms=d_closed, lead_created=lead_created)[ok]

# Activities: a date, and a lead that is used.
acts["t"] = to_ms(acts["occurred_at"])
acts = acts[acts["t"].notna() & acts["lead_id"].isin(created.index)]

# The data's end date: the latest timestamp used; outcome within the horizon; maturity.
as_of = np.nanmax([created.max(), deals["created_ms"].max(), deals["closed_ms"].max(),
                   acts["t"].max()])
horizon_ms = cfg["horizon_days"] * common.DAY_MS
won_deals = deals[(deals["status_n"] == "won") & (deals["closed_ms"] <= as_of)
                  & ((deals["closed_ms"] - deals["lead_created"]) / common.DAY_MS
                     <= cfg["horizon_days"])]
won = created.index.isin(won_deals["lead_id"])
complete = (created + horizon_ms <= as_of).to_numpy()
is_existing = created.index.isin(existing["lead_id"])
population = leads[complete & ~is_existing].assign(won=won[complete & ~is_existing])

# The time split: the newest share of the population by created_at (file row on ties).
population = population.sort_values(["created_ms", "row"], kind="stable")
n_valid = common.n_validation(len(population), cfg["validation_share"])
population["validation"] = np.arange(len(population)) >= len(population) - n_valid
stages.part("population")

# Engagement traits as of the scoring date (created_at + scoring_offset_days).
offset_ms = int(cfg["scoring_offset_days"] * common.DAY_MS)
a = acts.join((created + offset_ms).rename("scoring_ms"), on="lead_id", how="inner")
a = a[a["t"] <= a["scoring_ms"]]
a["age"] = (a["scoring_ms"] - a["t"]) / common.DAY_MS
counts = a["type"].value_counts()
common_types = counts[counts >= common.RARE_TYPE_SHARE * counts.sum()].index
a["kind"] = a["type"].where(a["type"].isin(common_types), "other").map(common.slug)
kinds = sorted(a["kind"].unique())
per_lead = a.groupby("lead_id").agg(distinct_activity_types=("kind", "nunique"),
                                    days_since_last_activity=("age", "min"))
engagement = {}
for w in cfg["windows"]:
    within = a[a["age"] <= w]
    per_type = within.groupby(["lead_id", "kind"]).size().unstack(fill_value=0)
    per_type = per_type.reindex(index=per_lead.index, columns=kinds, fill_value=0)
    engagement[f"activities_{w}d"] = per_type.sum(axis=1)
    for k in kinds:
        engagement[f"{k}_{w}d"] = per_type[k]
engagement = pd.DataFrame(engagement, index=per_lead.index)
engagement["distinct_activity_types"] = per_lead["distinct_activity_types"]
# Leads without an activity before their scoring date: counts 0, days since last missing.
engagement = engagement.reindex(population.index).fillna(0.0)
engagement["days_since_last_activity"] = per_lead["days_since_last_activity"]
engagement_names = list(engagement.columns)
stages.part("engagement")

excluded = set(common.OWN_COLUMNS + common.IDENTITY_COLUMNS + common.LEAKY_COLUMNS
               + ["row", "created_ms"])
lead_traits = [c for c in leads.columns if c not in excluded]
X = pd.concat([population[lead_traits], engagement], axis=1)
categorical = [c for c in lead_traits if not pd.api.types.is_numeric_dtype(X[c])]
candidates = lead_traits + engagement_names
train = ~population["validation"].to_numpy()
X_train, X_valid = X[train], X[~train]
y = population["won"].to_numpy().astype(int)
y_train, y_valid = y[train], y[~train]

# ---------------------------------------------------------------- binning
stages.start("binning")
binning_params = dict(
    max_n_prebins=cfg["prebins"], min_bin_size=cfg["min_bin_share"],
    max_n_bins=cfg["max_bins"], categorical_variables=categorical,
    binning_fit_params={c: {"cat_cutoff": cfg["min_bin_share"]} for c in categorical},
)
process = BinningProcess(candidates, n_jobs=N_JOBS, **binning_params)
process.fit(X_train, y_train)
ivs = process.summary().set_index("name")["iv"].astype(float).to_dict()
selected = common.select_traits(ivs, set(engagement_names), cfg["min_iv"],
                                cfg["max_traits"])

# ---------------------------------------------------------------- fit
stages.start("fit")


def fixed_splits(names):
    """The splits found above, fixed, so the Scorecard does not search for them again."""
    params = {}
    for name in names:
        optb = process.get_binned_variable(name)
        fit_params = {"user_splits": optb.splits,
                      "user_splits_fixed": [True] * len(optb.splits)}
        if name in categorical:
            fit_params["cat_cutoff"] = cfg["min_bin_share"]
        params[name] = fit_params
    return params


# leadtune's rule for traits that work against their own evidence: fit, drop the worst, refit.
# optbinning's WoE is ln(non-events / events), so such a trait has a positive coefficient.
# The loop runs on the WoE columns of the binning above (no re-binning); the Scorecard is then
# built once on the final traits, with the bins found above fixed.
woe_train = process.transform(X_train, metric="woe")
stages.part("woe")
dropped = []
while True:
    estimator = LogisticRegression(C=common.sklearn_c(cfg["l2"]), solver=SOLVER,
                                   max_iter=1000)
    estimator.fit(woe_train[selected], y_train)
    coef = estimator.coef_[0]
    worst = int(np.argmax(coef))
    if coef[worst] <= 0 or len(selected) == 1:
        break
    dropped.append(selected.pop(worst))
stages.part("logistic")
scorecard = Scorecard(
    binning_process=BinningProcess(
        selected, max_n_prebins=cfg["prebins"], min_bin_size=cfg["min_bin_share"],
        max_n_bins=cfg["max_bins"],
        categorical_variables=[c for c in categorical if c in selected],
        binning_fit_params=fixed_splits(selected), n_jobs=N_JOBS),
    estimator=LogisticRegression(C=common.sklearn_c(cfg["l2"]), solver=SOLVER,
                                 max_iter=1000),
    scaling_method="pdo_odds",
    scaling_method_params={"pdo": 20, "odds": y_train.mean() / (1 - y_train.mean()),
                           "scorecard_points": 50},
    reverse_scorecard=True, rounding=True,
)
scorecard.fit(X_train[selected], y_train)
stages.part("scorecard")

# ---------------------------------------------------------------- score
stages.start("score")
p_valid = scorecard.predict_proba(X_valid[selected])[:, 1]
points_valid = scorecard.score(X_valid[selected])
auc_valid = roc_auc_score(y_valid, p_valid)
auc_points = roc_auc_score(y_valid, points_valid)
p_train = scorecard.predict_proba(X_train[selected])[:, 1]
auc_train = roc_auc_score(y_train, p_train)
stages.stop()

common.write_result(
    result, stages,
    contender="pandas + optbinning + scikit-learn", solver=SOLVER, optbinning_jobs=N_JOBS,
    versions={"pandas": pd.__version__, "optbinning": optbinning.__version__,
              "scikit-learn": sklearn.__version__, "numpy": np.__version__},
    auc_validation=auc_valid, auc_validation_points=auc_points, auc_train=auc_train,
    train_leads=int(train.sum()), train_wins=int(y_train.sum()),
    validation_leads=int((~train).sum()), validation_wins=int(y_valid.sum()),
    validation_cut_ms=int(population["created_ms"].iloc[len(population) - n_valid]),
    as_of_ms=int(as_of), candidates=candidates, traits=selected, dropped=dropped,
)
if os.environ.get("ANCHOR_WRITE_POPULATION"):
    # For checking (not timed): the population, its split and every candidate trait.
    X.assign(won=population["won"], validation=population["validation"]).to_csv(
        result + ".population.csv")
