"""Shared by the Python contenders of benches/compare.sh: the settings, the rules leadtune
applies (population split, trait selection), stage timing and the result file.

Only plain Python here (no pandas, no polars), so that each contender does its own data work
with its own library. The rules are transcribed from leadtune's source:
- split: src/fit/model.rs `split` (time split: the newest round(share * n) mature leads by
  created_at, ties by file row, are the validation leads);
- selection: the conventional scorecard rules leadtune used before it chose traits by
  cross-validation (src/fit/select.rs): training IV order, one window per activity count,
  IV >= 0.02 (or leadtune's min_iv when higher), at most max_traits, L2 1.0 (or leadtune's
  `[model] l2` when set), then traits whose coefficient works against their WoE are dropped one
  at a time, the worst first, and the model refitted. One fit, no cross-validation: the Python
  side does less work than leadtune's selection;
- engagement traits: src/traits/engagement.rs (see the contenders).
"""

import json
import math
import os
import re
import sys
import time

# One BLAS thread (set before numpy loads): on these tall, narrow logistic fits OpenBLAS with two
# threads was 2-15x slower on the 2-core machine (thread hand-offs, worse when anything else
# runs). scikit-learn's OpenMP loops and polars keep both cores. Override with the environment.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("ANCHOR_BLAS_THREADS", "1"))

DAY_MS = 86_400_000

# Lead columns that leadtune reads as its own (never traits).
OWN_COLUMNS = [
    "lead_id", "created_at", "first_response_at", "mql_at", "sql_at", "converted", "owner",
]
# Kept out the way leadtune keeps them out on this history (see its traits.csv, `flag`):
# identity columns (by name) and the leaky one (single-trait AUC 0.98, filled in after contact).
IDENTITY_COLUMNS = ["company", "email", "domain", "contact_name"]
LEAKY_COLUMNS = ["sales_note_status"]
# leadtune's missing tokens (`[traits] missing`, compared case-insensitively after trimming).
MISSING_TOKENS = ["", "na", "n/a", "null", "none", "nan"]
# Activity types rarer than this share of the counted activities are pooled as `other`.
RARE_TYPE_SHARE = 0.001


def settings(manifest_path):
    """The effective settings of the leadtune run on the same files (its manifest's config),
    so that both sides use the same horizon, windows, split share and binning limits."""
    with open(manifest_path) as f:
        config = json.load(f)["config"]
    t, m, o = config["traits"], config["model"], config["outcome"]
    assert m["validation"] == "time", "the comparison assumes leadtune's time split"
    assert m["encoding"] == "woe", "the comparison assumes leadtune's WoE encoding"
    return {
        "horizon_days": o["horizon_days"],
        "scoring_offset_days": t["scoring_offset_days"],
        "windows": t["activity_windows"],
        "validation_share": m["validation_share"],
        "min_bin_share": m["min_bin_share"],
        "max_bins": t["max_bins"],
        "prebins": 20,
        "min_iv": max(m["min_iv"], 0.02),
        "max_traits": m["max_traits"],
        "l2": 1.0 if m["l2"] is None else m["l2"],
    }


def slug(text):
    """leadtune's column name for an activity type: lowercase, non-alphanumerics as `_`."""
    s = "".join(c if c.isalnum() else "_" for c in text.strip().lower())
    return s.strip("_")


def window_family(name):
    """`page_view_30d` -> `page_view`: the count a windowed activity trait belongs to."""
    m = re.fullmatch(r"(.+)_(\d+)d", name)
    return m.group(1) if m else None


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def n_validation(n, share):
    return min(round_half_away(share * n), max(n - 1, 0))


def select_traits(ivs, engagement, min_iv, max_traits):
    """leadtune's choice of candidate traits from their training IV: strongest first (name on
    ties), of an activity count's windows only the strongest, IV >= min_iv, at most max_traits."""
    order = sorted(ivs, key=lambda name: (-ivs[name], name))
    chosen, families = [], set()
    for name in order:
        family = window_family(name) if name in engagement else None
        if family is not None and family in families:
            continue
        if ivs[name] >= min_iv and len(chosen) < max_traits:
            chosen.append(name)
            if family is not None:
                families.add(family)
    return chosen


def sklearn_c(l2):
    """sklearn minimises C * sum(loss) + ||w||^2 / 2, leadtune sum(loss) + l2 * ||w||^2 / 2:
    the same objective with C = 1 / l2 (intercept unpenalised in both)."""
    return 1.0 / l2 if l2 > 0 else 1e12


class Stages:
    """Wall time per stage (time.perf_counter), written with the results as JSON."""

    def __init__(self):
        self.started = time.perf_counter()
        self.seconds = {}
        self.parts = {}
        self._at = None
        self._name = None
        self._part_at = None

    def start(self, name):
        self.stop()
        self._name, self._at = name, time.perf_counter()
        self._part_at = self._at

    def part(self, name):
        """Ends a part of the current stage (from its start or the previous part)."""
        now = time.perf_counter()
        key = f"{self._name}.{name}"
        self.parts[key] = self.parts.get(key, 0.0) + now - self._part_at
        self._part_at = now

    def stop(self):
        if self._name is not None:
            self.seconds[self._name] = self.seconds.get(self._name, 0.0) + (
                time.perf_counter() - self._at
            )
            self._name = None

    def total(self):
        return time.perf_counter() - self.started


def write_result(path, stages, **fields):
    stages.stop()
    fields["stages_s"] = {k: round(v, 4) for k, v in stages.seconds.items()}
    fields["parts_s"] = {k: round(v, 4) for k, v in stages.parts.items()}
    fields["in_script_s"] = round(stages.total(), 4)
    with open(path, "w") as f:
        json.dump(fields, f, indent=1, sort_keys=True)
    summary = ", ".join(f"{k} {v:.2f} s" for k, v in stages.seconds.items())
    if "auc_validation" in fields:
        summary += f"; validation AUC {fields['auc_validation']:.4f}"
    print(f"{os.path.basename(sys.argv[0])}: {summary}", file=sys.stderr)


def args(argv):
    """DATA_DIR LEADTUNE_OUT RESULT_JSON: the generated history, the leadtune run's output folder
    (for its settings and its existing-customer matches), where to write the result."""
    if len(argv) != 4:
        sys.exit(f"usage: {argv[0]} DATA_DIR LEADTUNE_OUT RESULT_JSON")
    return argv[1], argv[2], argv[3]
