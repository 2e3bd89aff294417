"""The two anchors of the accuracy bench, fitted on a data set's training rows and applied to its
test rows, as the data READMEs' reference figures set them up
(../shared/data/online-shoppers/reference.py, ../shared/data/bank-marketing/README.md):

- scikit-learn: categorical columns one-hot (`OneHotEncoder(handle_unknown="ignore")`), numeric
  columns standardised (`StandardScaler`), `LogisticRegression(max_iter=5000)` with its other
  defaults (L2, C = 1, lbfgs); everything fitted on the training rows only.
- optbinning: `BinningProcess` with its default binning (categorical columns declared) +
  `Scorecard` with the same estimator, PDO 20, odds 50 at 600 points, integer points
  (`rounding=True`). Its score falls as risk rises, so its AUC is that of the negated score.

The real data sets have no empty cells, and there both are exactly the references' set-up. The
generated histories have missing values; there a numeric column's gaps are filled with the
training median plus a missing-indicator column (`SimpleImputer(strategy="median",
add_indicator=True)`, an identity on columns without gaps) before scaling, and a categorical
column's gaps are the level `(missing)` (the frames arrive filled, see prepare.py).
optbinning bins missing numbers in its own missing bin.
"""

import os

# One BLAS thread, as benches/anchor/common.py: tall, narrow fits are faster so on 2 cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
from optbinning import BinningProcess, Scorecard  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

warnings.filterwarnings("ignore")


def logistic(categorical, numeric, X_train, y_train, X_test):
    """scikit-learn: test probabilities, and the train AUC."""
    columns = ColumnTransformer([
        ("c", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("n", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                            StandardScaler()), numeric),
    ])
    model = make_pipeline(columns, LogisticRegression(max_iter=5000)).fit(X_train, y_train)
    p_train = model.predict_proba(X_train)[:, 1]
    return {
        "p_test": model.predict_proba(X_test)[:, 1],
        "auc_train": float(roc_auc_score(y_train, p_train)),
        "dropped": [],
    }


def scorecard(categorical, numeric, X_train, y_train, X_test):
    """optbinning: test probabilities (the estimator's, on the WoE of the bins) and integer
    points; the train AUC of the points; the columns its binning gave no split (one bin, so the
    same points for every row: they carry nothing) and those its selection left out."""
    names = list(X_train.columns)
    card = Scorecard(
        binning_process=BinningProcess(variable_names=names, categorical_variables=categorical),
        estimator=LogisticRegression(max_iter=5000), scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600}, rounding=True)
    card.fit(X_train, y_train)
    process = card.binning_process_
    selected = set(process.get_support(names=True))
    summary = process.summary().set_index("name")
    one_bin = []
    for name in names:
        if name not in selected:
            continue
        optb = process.get_binned_variable(name)
        if len(optb.splits) == 0:
            one_bin.append(name)
    return {
        "p_test": card.predict_proba(X_test)[:, 1],
        "points_test": card.score(X_test),
        "auc_train": float(roc_auc_score(y_train, -card.score(X_train))),
        "dropped": [f"{n} (not selected)" for n in names if n not in selected]
        + [f"{n} (no split: one bin)" for n in one_bin],
        "iv": {n: round(float(summary.loc[n, "iv"]), 4) for n in names},
    }


def fit(categorical, numeric, X_train, y_train, X_test):
    """Both anchors on the same columns: categorical and numeric name X's columns."""
    assert sorted(categorical + numeric) == sorted(X_train.columns), "every column typed once"
    return {
        "sklearn": logistic(categorical, numeric, X_train, y_train, X_test),
        "optbinning": scorecard(categorical, numeric, X_train, y_train, X_test),
    }


def auc(y, score):
    return float(roc_auc_score(y, score))


def versions():
    import optbinning
    import pandas
    import scipy
    import sklearn
    return {"numpy": np.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "optbinning": optbinning.__version__}
