# Sourced by the benchmark scripts: builds leadtune in release and generates the data once.
# Sets: bin (the binary), data (the folder with leadtune.toml). Args: [LEADS] [SEED].
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
leads=${1:-1000000}
seed=${2:-7}
data=target/bench-data/$leads
cargo build --release --quiet
bin=target/release/leadtune
if [ ! -f "$data/leadtune.toml" ]; then
  echo "generating $leads leads into $data ..."
  /usr/bin/time -f "generate: %e s wall, %M KiB peak" \
    "$bin" generate --force --out "$data" --leads "$leads" --seed "$seed" >/dev/null
fi
# The folder is keyed by size only: refuse data of another seed rather than time it silently.
have_seed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["seed"])' "$data/truth.json")
if [ "$have_seed" != "$seed" ]; then
  echo "$data holds seed $have_seed, not $seed: remove it to generate seed $seed" >&2
  exit 1
fi
