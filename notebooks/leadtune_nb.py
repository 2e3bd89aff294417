"""Plumbing for the leadtune analyst notebooks.

Kept out of the notebooks so that they show the analysis, not the file handling:

* finding the run directory and its files, failing with a message that names the missing
  file, column or key (column names may change between leadtune versions);
* rebuilding leads' trait values from the raw input files named in ``manifest.json``, the way
  ``leadtune run`` derives them, so that a lead can be scored by hand from
  ``scoring-config.json``.

Nothing here prints person or company data: the raw leads table is read for the trait columns
only (identity columns such as company, email or contact name are dropped on read).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import polars as pl

DAY_MS = 86_400_000
# Activity types rarer than this share of all counted activities are pooled as `other`
# (leadtune's engagement.rs does the same).
RARE_TYPE_SHARE = 0.001


class RunFileError(RuntimeError):
    """A file, column or key the notebook needs is not in the run directory."""


# --------------------------------------------------------------------------------------------
# Locating the run and reading its files
# --------------------------------------------------------------------------------------------


def repo_root(start: Path | None = None) -> Path | None:
    """The leadtune checkout holding the notebook (the folder with Cargo.toml and notebooks/)."""
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "Cargo.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    return None


def resolve(given: str | Path) -> Path:
    """A path from the environment: as given if it exists (absolute, or relative to the working
    folder), else relative to the checkout (Jupyter starts kernels in notebooks/)."""
    path = Path(given).expanduser()
    if not path.is_absolute() and not path.exists() and repo_root() is not None:
        path = repo_root() / path
    return path.resolve()


def run_dir() -> Path:
    """The run directory: $LEADTUNE_RUN, else reports/latest of the checkout."""
    given = os.environ.get("LEADTUNE_RUN")
    if given:
        path = resolve(given)
    else:
        root = repo_root()
        if root is None:
            raise RunFileError(
                "LEADTUNE_RUN is not set and no leadtune checkout was found above "
                f"{Path.cwd()}: set LEADTUNE_RUN to a run directory (the --out of `leadtune run`)"
            )
        path = root / "reports" / "latest"
    path = path.resolve()
    if not path.is_dir():
        raise RunFileError(
            f"run directory {path} does not exist: run `leadtune run --out {path}` first, or "
            "point LEADTUNE_RUN at an existing run directory"
        )
    return path


def require_file(run: Path, name: str) -> Path:
    path = run / name
    if not path.is_file():
        present = ", ".join(sorted(p.name for p in run.iterdir() if p.is_file())) or "nothing"
        raise RunFileError(
            f"{name} is missing from run directory {run} (it holds: {present}). "
            "Was the run made with `leadtune run` (not `validate` or `traits`), by a version "
            "that writes this file?"
        )
    return path


def require_columns(df: pl.DataFrame, columns: Iterable[str], source: str) -> pl.DataFrame:
    """Fails naming the missing columns (and those present) when `df` lacks any of `columns`."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise RunFileError(
            f"{source} has no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {', '.join(df.columns)}); the notebook needs updating for this "
            "leadtune version"
        )
    return df


def require_keys(obj: dict, keys: Iterable[str], source: str) -> dict:
    missing = [k for k in keys if k not in obj]
    if missing:
        raise RunFileError(
            f"{source} has no key {', '.join(repr(k) for k in missing)} "
            f"(its keys: {', '.join(obj)}); the notebook needs updating for this leadtune version"
        )
    return obj


def read_table(run: Path, stem: str, columns: Iterable[str] = ()) -> pl.DataFrame:
    """`stem`.parquet (typed) if the run has it, else `stem`.csv; checks the needed columns."""
    parquet, text = run / f"{stem}.parquet", run / f"{stem}.csv"
    if parquet.is_file():
        df, source = pl.read_parquet(parquet), parquet.name
    elif text.is_file():
        df, source = pl.read_csv(text, infer_schema_length=10_000), text.name
    else:
        require_file(run, f"{stem}.parquet")  # raises, naming what the run holds
        raise AssertionError("unreachable")
    return require_columns(df, columns, source)


def read_json(run_or_path: Path, name: str | None = None, keys: Iterable[str] = ()) -> dict:
    path = require_file(run_or_path, name) if name else Path(run_or_path)
    if not path.is_file():
        raise RunFileError(f"{path} does not exist")
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    return require_keys(data, keys, path.name)


# --------------------------------------------------------------------------------------------
# Values as leadtune parses them (ingest/values.rs)
# --------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def parse_timestamp(text: str | None, date_format: str | None = None) -> int | None:
    """Milliseconds since the epoch (UTC) of an ISO 8601 date or date-time, else None."""
    if text is None:
        return None
    text = text.strip()
    if date_format:
        try:
            dt = datetime.strptime(text, date_format)
            return int(dt.replace(tzinfo=timezone.utc).timestamp() * 1000)
        except ValueError:
            pass
    m = _ISO.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    try:
        dt = datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
    except ValueError:
        return None
    ms = int(dt.timestamp()) * 1000
    if hour is not None:
        h, mi, s = int(hour), int(minute), int(second or 0)
        if h > 23 or mi > 59 or s > 60:
            return None
        ms += h * 3_600_000 + mi * 60_000 + min(s, 59) * 1000 + int((frac or "0")[:3].ljust(3, "0"))
        if tz and tz not in ("Z", "z"):
            digits = tz[1:].replace(":", "")
            offset = int(digits[:2]) * 3_600_000 + (int(digits[2:4]) * 60_000 if len(digits) > 2 else 0)
            ms = ms - offset if tz[0] == "+" else ms + offset
    return ms


_CURRENCY_WORDS = ["kr", "zł", "zl", "sek", "pln", "eur", "usd", "gbp", "nok", "dkk", "chf"]


def parse_number(text: str | None, decimal: str = ".") -> float | None:
    """A number as spreadsheets write it (`1,234.50`, `€ 1.234,50` with decimal=','), else None."""
    if text is None:
        return None
    s = text.strip()
    while True:
        before = s
        s = s.lstrip("€$£¥").strip().rstrip("€$£¥").strip()
        for word in _CURRENCY_WORDS:
            if len(s) > len(word) and s[-len(word):].lower() == word:
                s = s[: -len(word)].strip()
            if len(s) > len(word) and s[: len(word)].lower() == word:
                s = s[len(word):].strip()
        if s == before:
            break
    group = "." if decimal == "," else ","
    s = "".join(c for c in s if c not in " \u00a0\u202f")
    sign = ""
    if s.startswith("-"):
        sign, s = "-", s[1:]
    elif s.startswith("+"):
        s = s[1:]
    int_part, _, frac = s.partition(decimal)
    has_frac = decimal in s
    if group in int_part or "'" in int_part:
        groups = re.split(rf"[{re.escape(group)}']", int_part)
        if not (all(g.isdigit() for g in groups) and 1 <= len(groups[0]) <= 3
                and all(len(g) == 3 for g in groups[1:])):
            return None
        int_part = "".join(groups)
    if has_frac and (decimal in frac or group in frac):
        return None
    if not int_part and not frac:
        return None
    literal = f"{sign}{int_part}.{frac}" if has_frac else f"{sign}{int_part}"
    if "nan" in literal.lower() or "inf" in literal.lower():
        return None
    try:
        value = float(literal)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def is_missing(text: str | None, tokens: list[str]) -> bool:
    if text is None:
        return True
    t = text.strip()
    return t == "" or any(t.lower() == tok.lower() for tok in tokens)


def _round3(v: float) -> float:
    """Rounds to 3 decimals half away from zero, as Rust's `(v * 1000).round() / 1000`."""
    import math

    r = math.floor(abs(v) * 1000.0 + 0.5)
    return math.copysign(r, v) / 1000.0


def slug(text: str) -> str:
    """An activity type as leadtune names it in trait names: lowercase, non-alphanumerics `_`."""
    s = "".join(c if c.isalnum() else "_" for c in text.strip().lower())
    return s.strip("_")


# --------------------------------------------------------------------------------------------
# The raw inputs a run was made from
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate_inputs(run: Path, manifest: dict, tables: Iterable[str]) -> dict[str, dict]:
    """The input files of `tables`, found where the manifest's relative path resolves and
    checked against its SHA-256 (so the hand scoring uses exactly the run's data).

    The manifest's paths are relative to the run config's folder, which it does not record, so
    these folders are tried: $LEADTUNE_INPUTS (a folder), the checkout, its data/* folders, the
    run directory and the folders above it.
    """
    entries = {e.get("table"): e for e in manifest.get("inputs", [])}
    root = repo_root()
    bases: list[Path] = []
    if os.environ.get("LEADTUNE_INPUTS"):
        bases.append(Path(os.environ["LEADTUNE_INPUTS"]).expanduser())
    if root is not None:
        bases.append(root)
        bases.extend(sorted(p for p in (root / "data").glob("*") if p.is_dir()))
    bases.extend([run, *run.parents])
    found = {}
    for table in tables:
        entry = entries.get(table)
        if entry is None:
            raise RunFileError(
                f"manifest.json lists no {table!r} input (it lists: {', '.join(map(str, entries))})"
            )
        rel = Path(entry["path"])
        tried = []
        for base in [Path("/")] if rel.is_absolute() else bases:
            candidate = (base / rel) if not rel.is_absolute() else rel
            if candidate in tried or not candidate.is_file():
                continue
            tried.append(candidate)
            if _sha256(candidate) == entry.get("sha256"):
                found[table] = {**entry, "resolved": candidate}
                break
        if table not in found:
            detail = (
                f"found {', '.join(map(str, tried))} but with other contents (SHA-256 differs)"
                if tried
                else "found it nowhere"
            )
            raise RunFileError(
                f"the {table} input {entry['path']!r} of this run: {detail}. Set LEADTUNE_INPUTS "
                "to the folder holding the run's input files (the folder of its leadtune.toml)"
            )
    return found


def _rows_with_numbers(path: Path, dialect: dict | None):
    """(file line where the row starts, header, fields) for each data row of a CSV file."""
    delimiter = (dialect or {}).get("delimiter") or ","
    encoding = "utf-8-sig" if (dialect or {}).get("bom") else "utf-8"
    with path.open(newline="", encoding=encoding, errors="replace") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = [h.strip() for h in next(reader)]
        last = reader.line_num
        for fields in reader:
            start = last + 1
            last = reader.line_num
            yield start, header, fields


def _read_input(entry: dict, rejected_rows: set[int], keep: list[str]) -> pl.DataFrame:
    """The rows of one input that leadtune used (rejected rows dropped), columns `keep` only,
    as text. Parquet inputs are read whole (they have no rejected row numbers to match)."""
    path = entry["resolved"]
    if entry.get("format") == "parquet" or path.suffix == ".parquet":
        df = pl.read_parquet(path)
        return df.select([pl.col(c).cast(pl.Utf8) for c in keep if c in df.columns])
    out: dict[str, list] = {c: [] for c in keep}
    index = None
    for row, header, fields in _rows_with_numbers(path, entry.get("dialect")):
        if index is None:
            lower = [h.lower() for h in header]
            index = {c: (lower.index(c.lower()) if c.lower() in lower else None) for c in keep}
        if row in rejected_rows or not any(f.strip() for f in fields):
            continue
        for c in keep:
            i = index[c]
            out[c].append(fields[i] if i is not None and i < len(fields) else None)
    return pl.DataFrame(out, schema={c: pl.Utf8 for c in keep})


def rebuild_trait_values(run: Path, config: dict, manifest: dict) -> pl.DataFrame:
    """Every scored lead's value of every trait in `config`, rebuilt from the raw inputs the
    way `leadtune run` derives them: one row per lead (`lead_id`), one column per trait
    (text for categorical traits, numbers otherwise; null = missing).

    Activity traits are counted as of each lead's scoring date (created_at +
    scoring_offset_days): activities after it are ignored.
    """
    require_keys(config, ["traits", "scoring"], "scoring-config.json")
    scoring = config["scoring"]
    tokens = scoring.get("missing_tokens", ["", "na", "n/a", "null", "none", "nan"])
    date_format = scoring.get("date_format")
    offset_ms = int(float(scoring.get("scoring_offset_days", 0.0)) * DAY_MS)
    rejected = pl.read_csv(require_file(run, "rejected.csv"), infer_schema=False)
    require_columns(rejected, ["table", "row"], "rejected.csv")
    rejected_rows = {
        t: {int(r) for r in rejected.filter(pl.col("table") == t)["row"].to_list() if r}
        for t in ("leads", "activities", "deals")
    }
    traits = config["traits"]
    activity = [t for t in traits if t["kind"] == "activity"]
    stage_traits = [t for t in traits if t["kind"] == "stage"]
    stages = scoring.get("stages") or [] if stage_traits else []
    tables = (
        ["leads"]
        + (["activities"] if activity else [])
        + (["deals"] if "opportunity" in stages else [])
    )
    inputs = locate_inputs(run, manifest, tables)

    # leadtune name -> header in the file, when the run config renamed columns.
    renamed = (manifest.get("config") or {}).get("columns") or {}
    header = lambda name: renamed.get(name, name)  # noqa: E731
    lead_traits = [t for t in traits if t["kind"] not in ("activity", "stage")]
    stage_columns = [s for s in stages if s != "opportunity"]
    keep = ["lead_id", "created_at"] + [t["name"] for t in lead_traits] + stage_columns
    raw = _read_input(inputs["leads"], rejected_rows["leads"], [header(c) for c in keep])
    raw = raw.rename({header(c): c for c in keep if header(c) != c})
    decimal = (inputs["leads"].get("dialect") or {}).get("decimal") or "."

    created = [parse_timestamp(v, date_format) for v in raw["created_at"]]
    columns: dict[str, pl.Series] = {"lead_id": raw["lead_id"].str.strip_chars()}
    for t in lead_traits:
        values = [None if is_missing(v, tokens) else v.strip() for v in raw[t["name"]]]
        if t["kind"] == "categorical":
            columns[t["name"]] = pl.Series(t["name"], values, dtype=pl.Utf8)
        elif t["kind"] == "numeric":
            columns[t["name"]] = pl.Series(
                t["name"], [parse_number(v, decimal) for v in values], dtype=pl.Float64
            )
        elif t["kind"] == "date":
            days = []
            for v, c in zip(values, created):
                d = parse_timestamp(v, date_format)
                days.append(None if d is None or c is None else (d - c) / DAY_MS)
            columns[t["name"]] = pl.Series(t["name"], days, dtype=pl.Float64)
        else:
            raise RunFileError(f"trait {t['name']!r} has a kind the notebook does not know: {t['kind']!r}")
    if stage_traits:
        # stage_reached (stage.rs): the highest stage whose date is strictly before the scoring
        # date: 1 mql_at, 2 sql_at, 3 the lead's first deal's created_at (any status).
        dated = {
            s: [None if is_missing(v, tokens) else parse_timestamp(v, date_format) for v in raw[s]]
            for s in stage_columns
        }
        if "opportunity" in stages:
            deals = _read_input(inputs["deals"], rejected_rows["deals"], [header("lead_id"), header("created_at")])
            first: dict[str, int] = {}
            for lead, when in zip(deals[header("lead_id")].to_list(), deals[header("created_at")].to_list()):
                t = None if is_missing(when, tokens) else parse_timestamp(when, date_format)
                if lead is not None and t is not None:
                    lead = lead.strip()
                    first[lead] = min(first.get(lead, t), t)
            dated["opportunity"] = [first.get(lead) for lead in columns["lead_id"].to_list()]
        level = {"mql_at": 1.0, "sql_at": 2.0, "opportunity": 3.0}
        reached = []
        for i, c in enumerate(created):
            if c is None:
                reached.append(None)
                continue
            scoring_ms = c + offset_ms
            reached.append(max([0.0] + [level[s] for s in stages if dated[s][i] is not None and dated[s][i] < scoring_ms]))
        for t in stage_traits:
            columns[t["name"]] = pl.Series(t["name"], reached, dtype=pl.Float64)
    out = pl.DataFrame(columns)
    if not activity:
        return out

    # Engagement traits from the activities (engagement.rs).
    valued = any(re.fullmatch(r"(.+)_value_(sum|max)_(\d+)d", t["name"]) for t in activity)
    act_columns = ["lead_id", "occurred_at", "type"] + (["value"] if valued else [])
    acts = _read_input(inputs["activities"], rejected_rows["activities"], act_columns)
    if valued:
        act_decimal = (inputs["activities"].get("dialect") or {}).get("decimal") or "."
        acts = acts.with_columns(
            pl.Series(
                "number",
                [None if is_missing(v, tokens) else parse_number(v, act_decimal) for v in acts["value"]],
                dtype=pl.Float64,
            )
        )
    leads = pl.DataFrame(
        {"lead_id": columns["lead_id"], "scoring_ms": [None if c is None else c + offset_ms for c in created]},
        schema={"lead_id": pl.Utf8, "scoring_ms": pl.Int64},
    )
    acts = acts.with_columns(
        pl.col("lead_id").str.strip_chars(),
        pl.col("type").str.strip_chars(),
        pl.Series("t", [parse_timestamp(v, date_format) for v in acts["occurred_at"]], dtype=pl.Int64),
    )
    prior = (
        acts.join(leads, on="lead_id", how="inner")
        .filter(pl.col("t") <= pl.col("scoring_ms"))
        .with_columns((pl.col("scoring_ms") - pl.col("t")).alias("age_ms"))
    )
    # Days by exact division, as leadtune divides (polars would multiply by 1 / DAY_MS).
    prior = prior.with_columns(
        pl.Series("age", [ms / DAY_MS for ms in prior["age_ms"].to_list()], dtype=pl.Float64)
    )
    counts = prior["type"].value_counts()
    total = counts["count"].sum()
    common = set(counts.filter(pl.col("count") >= RARE_TYPE_SHARE * total)["type"].to_list())
    prior = prior.with_columns(
        pl.when(pl.col("type").is_in(list(common)))
        .then(pl.col("type").map_elements(slug, return_dtype=pl.Utf8))
        .otherwise(pl.lit("other"))
        .alias("kind")
    )
    aggs = [
        pl.col("age").min().alias("days_since_last_activity"),
        pl.col("kind").n_unique().cast(pl.Float64).alias("distinct_activity_types"),
    ]
    decay = scoring.get("decay")
    if decay is not None:
        # engagement_decayed (decay.rs): sum of type weight * 2^(-age / half-life), rounded to
        # 3 decimals half away from zero; types as written, trimmed, lower-case, spaces and
        # dashes as "_".
        weights = decay["type_weights"]
        half_life = float(decay["half_life_days"])
        keys = [t.strip().lower().replace(" ", "_").replace("-", "_") for t in prior["type"].to_list()]
        prior = prior.with_columns(
            pl.Series(
                "decayed",
                [weights.get(k, 0.0) * 2.0 ** (-age / half_life) for k, age in zip(keys, prior["age"].to_list())],
                dtype=pl.Float64,
            )
        )
    for t in activity:
        name = t["name"]
        m = re.fullmatch(r"(.+)_(\d+)d", name)
        if name in ("days_since_last_activity", "distinct_activity_types"):
            continue
        if name == "engagement_decayed":
            if decay is None:
                raise RunFileError("engagement_decayed is a trait but the config has no scoring.decay")
            aggs.append(pl.col("decayed").sum().alias(name))
            continue
        # Values and recency by type (engagement.rs): strictly before the scoring date.
        strictly = pl.col("age_ms") > 0
        v = re.fullmatch(r"(.+)_value_(sum|max)_(\d+)d", name)
        if v:
            what, how, window = v.group(1), v.group(2), int(v.group(3))
            values = pl.col("number").filter(
                strictly & (pl.col("kind") == what) & (pl.col("age") <= window) & pl.col("number").is_not_null()
            )
            aggs.append((values.sum() if how == "sum" else values.max()).alias(name))
            continue
        r = re.fullmatch(r"days_since_(.+)", name)
        if r:
            aggs.append(pl.col("age").filter(strictly & (pl.col("kind") == r.group(1))).min().alias(name))
            continue
        if not m:
            raise RunFileError(f"activity trait {name!r}: the notebook does not know how to count it")
        what, window = m.group(1), int(m.group(2))
        cond = pl.col("age") <= window
        if what != "activities":
            cond = cond & (pl.col("kind") == what)
        aggs.append(cond.cast(pl.Float64).sum().alias(name))
    per_lead = prior.group_by("lead_id").agg(aggs)
    if "engagement_decayed" in per_lead.columns:
        per_lead = per_lead.with_columns(
            pl.Series(
                "engagement_decayed",
                [None if v is None else _round3(v) for v in per_lead["engagement_decayed"].to_list()],
                dtype=pl.Float64,
            )
        )
    out = out.join(per_lead, on="lead_id", how="left")
    fills = [
        pl.col(t["name"]).fill_null(0.0)
        for t in activity
        if not t["name"].startswith("days_since_") and "_value_max_" not in t["name"]
    ]
    return out.with_columns(fills).select(["lead_id"] + [t["name"] for t in traits])


# --------------------------------------------------------------------------------------------
# Comparing two scoring configs
# --------------------------------------------------------------------------------------------


def _bin_of(trait: dict, value) -> int:
    """The bin of `value` in `trait` (binning.rs rules; None = missing)."""
    bins = trait["bins"]
    kinds = [b["rule"]["kind"] for b in bins]
    missing = kinds.index("missing") if "missing" in kinds else len(bins) - 1
    if value is None:
        return missing
    if isinstance(value, str):
        other = missing
        for i, b in enumerate(bins):
            if b["rule"]["kind"] == "value" and b["rule"]["value"] == value:
                return i
            if b["rule"]["kind"] == "other":
                other = i
        return other
    found = missing
    for i, b in enumerate(bins):
        r = b["rule"]
        if r["kind"] == "special" and r["value"] == value:
            return i
        if r["kind"] == "range" and (r["lo"] is None or value > r["lo"]) and (
            r["hi"] is None or value <= r["hi"]
        ):
            found = i
    return found


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def _segments(traits: list[dict]) -> list[tuple[str, object, pl.Expr]]:
    """(label, a value inside, which values) for each piece of the number line that no bin edge
    of `traits` cuts, plus special values and missing: every lead falls in exactly one piece,
    and within a piece each config gives every lead the same points."""
    edges, specials = set(), set()
    for t in traits:
        for b in t["bins"]:
            r = b["rule"]
            if r["kind"] == "range":
                edges.update(e for e in (r["lo"], r["hi"]) if e is not None)
            elif r["kind"] == "special":
                specials.add(r["value"])
    edges = sorted(edges)
    v = pl.col("value")
    plain = ~v.is_in(sorted(specials)) if specials else pl.lit(True)
    pieces = [(f"= {_num(s)}", s, v == s) for s in sorted(specials)]
    if not edges:
        pieces.append(("any value", 0.0, v.is_not_null() & plain))
    else:
        pieces.append((f"<= {_num(edges[0])}", edges[0], (v <= edges[0]) & plain))
        for lo, hi in zip(edges, edges[1:]):
            pieces.append((f"({_num(lo)}, {_num(hi)}]", (lo + hi) / 2, (v > lo) & (v <= hi) & plain))
        pieces.append((f"> {_num(edges[-1])}", edges[-1] + max(1.0, abs(edges[-1])), (v > edges[-1]) & plain))
    pieces.append(("missing", None, v.is_null() | v.is_nan()))
    return pieces


def compare_points(old: dict, new: dict, values: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per trait and value range (numeric) or category, the points under each config, and with
    `values` (from `rebuild_trait_values`) how many of those leads have a value there.

    Numeric bins are compared on the pieces that both configs' cut points make, not by label:
    a bin relabelled from `(2002, 2008]` to `(2003, 2005]` is the same leads partly, and what
    matters to a lead is the points its value got before and gets now. A category the config
    does not list scores as its `other` bin; a trait a config does not have scores 0.
    """
    old_t = {t["name"]: t for t in old["traits"]}
    new_t = {t["name"]: t for t in new["traits"]}
    rows = []
    for name in list(old_t) + [n for n in new_t if n not in old_t]:
        o, n = old_t.get(name), new_t.get(name)
        present = [t for t in (o, n) if t is not None]
        status = "trait removed" if n is None else "trait added" if o is None else ""
        categorical = any(
            b["rule"]["kind"] in ("value", "other") for t in present for b in t["bins"]
        )
        if categorical:
            listed = []
            for t in present:
                for b in t["bins"]:
                    r = b["rule"]
                    if r["kind"] == "value" and r["value"] not in listed:
                        listed.append(r["value"])
            v = pl.col("value")
            pieces = [(x, x, v == x) for x in listed] + [
                ("(other values)", "\u0000other", v.is_not_null() & ~v.is_in(listed)),
                ("missing", None, v.is_null()),
            ]
        else:
            pieces = _segments(present)
        column = None
        if values is not None and name in values.columns:
            column = values.select(pl.col(name).alias("value"))
            if column.schema["value"] == pl.Utf8 and not categorical:
                column = None
        for label, value, where in pieces:
            points = []
            for t in (o, n):
                if t is None:
                    points.append(0)
                    continue
                if value == "\u0000other":
                    others = [b for b in t["bins"] if b["rule"]["kind"] == "other"]
                    i = (
                        t["bins"].index(others[0])
                        if others
                        else _bin_of(t, None)
                    )
                else:
                    i = _bin_of(t, value)
                points.append(t["bins"][i]["points"])
            row = {
                "trait": name,
                "sub_score": (n or o).get("sub_score"),
                "values": label,
                "old_points": points[0],
                "new_points": points[1],
                "change": points[1] - points[0],
                "status": status,
            }
            if values is not None:
                row["leads"] = None if column is None else column.filter(where).height
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def compare_tiers(old: dict, new: dict) -> pl.DataFrame:
    """Tier cut-offs, SLAs and expected conversion side by side (joined on the tier name)."""
    fields = ["min_score", "sla_hours", "expected_conversion", "share_of_leads"]

    def frame(cfg: dict, suffix: str) -> pl.DataFrame:
        rows = [
            {"tier": t["name"], "order": i, **{f"{f}_{suffix}": t.get(f) for f in fields}}
            for i, t in enumerate(cfg.get("tiers", []))
        ]
        types = {f: pl.Int64 if f == "min_score" else pl.Float64 for f in fields}
        return pl.DataFrame(
            rows,
            schema={"tier": pl.Utf8, "order": pl.Int64, **{f"{f}_{suffix}": types[f] for f in fields}},
        )

    both = frame(old, "old").join(frame(new, "new"), on="tier", how="full", coalesce=True)
    both = both.with_columns(pl.coalesce("order", "order_right").alias("order")).drop("order_right")
    cols = ["tier"] + [f"{f}_{s}" for f in fields for s in ("old", "new")]
    return both.sort("order").select(cols)
