#!/usr/bin/env bash
# Benchmark: `leadtune run` (validate, traits, fit, export, scoring every lead) on a generated
# history (default 1M leads): wall time, peak memory, and the manifest's per-step split.
# Usage: benches/run.sh [LEADS] [SEED]
source "$(dirname "$0")/common.sh"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KiB peak RSS, %P CPU" \
    "$bin" run --config "$data/leadtune.toml" --out "$data/out-run" >/dev/null
  python3 -c "
import json, sys
t = json.load(open('$data/out-run/manifest.json'))['timings_ms']
print('  ms: ' + ', '.join(f'{k} {v}' for k, v in sorted(t.items())))
"
done
