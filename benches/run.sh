#!/usr/bin/env bash
# Benchmark: `leadtune run` (validate, traits, fit, export, scoring every lead) on a generated
# history (default 1M leads): wall time, peak memory, and the manifest's per-step split.
# Usage: benches/run.sh [LEADS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
leads=${1:-1000000}
seed=${2:-7}
data=target/bench-data/$leads
cargo build --release --quiet
bin=target/release/leadtune
if [ ! -f "$data/leadtune.toml" ]; then
  echo "generating $leads leads into $data ..."
  "$bin" generate --out "$data" --leads "$leads" --seed "$seed" >/dev/null
fi
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KiB peak RSS, %P CPU" \
    "$bin" run --config "$data/leadtune.toml" --out "$data/out-run" >/dev/null
  python3 -c "
import json, sys
t = json.load(open('$data/out-run/manifest.json'))['timings_ms']
print('  ms: ' + ', '.join(f'{k} {v}' for k, v in sorted(t.items())))
"
done
