#!/usr/bin/env bash
# Benchmark: `leadtune traits` on a generated history (default 1M leads): wall time and peak
# memory of the whole command, and the manifest's split (ingest, link, engagement traits from
# activities, binning + statistics). Usage: benches/traits.sh [LEADS] [SEED]
source "$(dirname "$0")/common.sh"
for run in 1 2 3; do
  /usr/bin/time -f "traits run $run: %e s wall, %M KiB peak RSS, %P CPU" \
    "$bin" traits --config "$data/leadtune.toml" --out "$data/out-traits" >/dev/null
  python3 - "$data/out-traits" <<'PY'
import csv, json, sys
out = sys.argv[1]
m = json.load(open(f"{out}/manifest.json"))
t = m["timings_ms"]
traits = {r["trait"] for r in csv.DictReader(open(f"{out}/traits.csv")) if r["flag"] != "identity"}
print(f"  {len(traits)} traits binned; ms: " + ", ".join(f"{k} {v}" for k, v in sorted(t.items())))
PY
done
