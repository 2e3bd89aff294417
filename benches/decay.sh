#!/usr/bin/env bash
# The engagement decay against its planted truth: for each seed, generates LEADS leads, runs
# `leadtune traits` and prints the fitted half-life with its 95% interval and whether the
# planted one (truth.json) lies inside; then how many intervals held it. A 95% interval
# should hold it in about 19 of 20 histories.
# Usage: benches/decay.sh [LEADS] [FIRST_SEED] [LAST_SEED]   (default 20000 1 20)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
leads=${1:-20000}
first=${2:-1}
last=${3:-20}
cargo build --release --quiet --bin leadtune
bin=${CARGO_TARGET_DIR:-target}/release/leadtune
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for seed in $(seq "$first" "$last"); do
  "$bin" generate --force --out "$work/g" --leads "$leads" --seed "$seed" >/dev/null
  "$bin" traits --config "$work/g/leadtune.toml" --out "$work/out" >/dev/null
  python3 - "$work" "$leads" "$seed" <<'PY'
import json, sys
work, leads, seed = sys.argv[1:]
planted = json.load(open(f"{work}/g/truth.json"))["half_life_days"]
s = json.load(open(f"{work}/out/engagement_decay.json"))["spec"]
h, lo, hi = s["half_life_days"], s["half_life_low"], s["half_life_high"]
held = lo <= planted <= hi
print(f"{leads} leads, seed {seed}: {h:.1f} days (95% interval {lo:.1f} to {hi:.1f}), "
      f"planted {planted:g}: {'held' if held else 'MISSED'}")
PY
  rm -rf "$work/g" "$work/out"
done | tee "$work/lines"
held=$(grep -c ': held$' "$work/lines" || true)
echo "the interval held the planted half-life in $held of $((last - first + 1)) histories"
