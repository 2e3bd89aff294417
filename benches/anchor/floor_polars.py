"""Contender (d), the floor: one polars scan of the input columns the pipelines read (every
leads column, every deals column, activities' lead_id, occurred_at and type), as text, with a
trivial aggregate (rows and missing cells per column) so that every cell is parsed.
No pipeline that reads these CSV files can be faster than this. A Parquet history (the
files named .parquet) is scanned as Parquet.

Usage: floor_polars.py DATA_DIR LEADTUNE_OUT RESULT_JSON  (LEADTUNE_OUT is not used)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

stages = common.Stages()
stages.start("import")
import polars as pl  # noqa: E402

data, _, result = common.args(sys.argv)

stages.start("read")


def scan(name, columns=None):
    # A Parquet history (leadtune generate --format parquet) is scanned as Parquet.
    stem = os.path.join(data, name.removesuffix(".csv"))
    if os.path.exists(stem + ".parquet"):
        lf = pl.scan_parquet(stem + ".parquet")
    else:
        lf = pl.scan_csv(os.path.join(data, name), infer_schema=False)
    if columns:
        lf = lf.select(columns)
    return lf.select(pl.len().alias("rows"), pl.all().null_count())


frames = pl.collect_all([
    scan("leads.csv"),
    scan("deals.csv"),
    scan("activities.csv", ["lead_id", "occurred_at", "type"]),
])
rows = {name: int(f["rows"][0])
        for name, f in zip(["leads", "deals", "activities"], frames)}
stages.stop()
common.write_result(result, stages, contender="polars scan (floor)",
                    versions={"polars": pl.__version__}, rows=rows)
