#!/usr/bin/env bash
# Benchmark: how `leadtune run` grows with size. For each size (default 100k, 1M and 10M
# leads) generates a Parquet history shaped as the performance issue asks at 10M (about 5
# activities and 0.1 deals per lead: --activity-rate 0.595 --lost-deal-rate 0.025), once, into
# target/bench-data/scale-N/, then runs it and prints wall time, peak RSS, time per lead and
# the manifest's per-step split.
# Usage: benches/scale.sh [LEADS ...]   (e.g. benches/scale.sh 100000 1000000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
bin=target/release/leadtune
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100000 1000000 10000000)
printf '| leads | activities | deals | wall | peak RSS | us per lead | ingest | link | traits | fit | reports |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in "${sizes[@]}"; do
  data=target/bench-data/scale-$n
  if [ ! -f "$data/leadtune.toml" ]; then
    "$bin" generate --force --out "$data" --leads "$n" --seed 7 --format parquet \
      --activity-rate 0.595 --lost-deal-rate 0.025 >/dev/null
  fi
  /usr/bin/time -f "%e %M" -o "$data/time.txt" \
    "$bin" run --config "$data/leadtune.toml" --out "$data/out" >/dev/null
  python3 - "$data" "$n" <<'PY'
import json, sys
data, n = sys.argv[1], int(sys.argv[2])
wall, kib = open(f"{data}/time.txt").read().split()[-2:]
m = json.load(open(f"{data}/out/manifest.json"))
t = m["timings_ms"]
rows = {i["table"]: i["rows_read"] for i in m["inputs"]}
s = lambda k: f"{t.get(k, 0) / 1000:.1f} s"
print(f"| {n:,} | {rows.get('activities', 0):,} | {rows.get('deals', 0):,} | {float(wall):.1f} s "
      f"| {int(kib) / 1048576:.2f} GiB | {float(wall) * 1e6 / n:.1f} | {s('ingest')} | {s('link')} "
      f"| {s('traits')} | {s('fit')} | {s('reports')} |")
PY
done
