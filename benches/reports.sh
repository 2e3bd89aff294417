#!/usr/bin/env bash
# Benchmark: the report stage of `leadtune run` (conversion tables, speed-to-lead, SLA, funnel,
# source ROI, charts, report.html) on a generated history (default 1M leads), from the
# manifest's timings, with the whole run's wall time and peak memory beside it.
# Usage: benches/reports.sh [LEADS] [SEED]
source "$(dirname "$0")/common.sh"
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KiB peak RSS" \
    "$bin" run --config "$data/leadtune.toml" --out "$data/out-reports" >/dev/null
  python3 -c "
import json
t = json.load(open('$data/out-reports/manifest.json'))['timings_ms']
keys = ['reports', 'reports.tables', 'reports.charts', 'reports.html', 'total']
print('  ms: ' + ', '.join(f'{k} {t[k]}' for k in keys if k in t))
"
done
