#!/usr/bin/env bash
# Benchmark: `leadtune validate` on a generated history (default 1M leads).
# Usage: benches/validate.sh [LEADS] [SEED]
# Prints wall time and peak resident memory of validate; the generated data stays in
# target/bench-data/LEADS so that reruns skip generation.
source "$(dirname "$0")/common.sh"
for t in leads deals activities spend customers; do
  printf '%-11s %12s rows %8s\n' "$t" "$(($(wc -l < "$data/$t.csv") - 1))" "$(du -h "$data/$t.csv" | cut -f1)"
done
for run in 1 2 3; do
  /usr/bin/time -f "validate run $run: %e s wall, %M KiB peak RSS, %P CPU" \
    "$bin" validate --config "$data/leadtune.toml" --out "$data/out" >/dev/null
done
