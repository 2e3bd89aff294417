#!/usr/bin/env bash
# Side by side on the same generated history: leadtune against the Python credit-scorecard stack.
#
#   benches/compare.sh [LEADS] [SEED]      # default 1000000 leads, seed 7
#   CHECK=1 benches/compare.sh 100000      # also verify the Python side models the same leads
#
# Times, on the same files in the same run (page cache warm, one after the other):
#   (a) `leadtune run` (the whole pipeline) and `leadtune traits`; leadtune's binning + fit is
#       `traits.binning` + `fit.model` from the run's manifest.json timings_ms;
#   (b) pandas + optbinning (BinningProcess + Scorecard) + scikit-learn LogisticRegression,
#       benches/anchor/scorecard_pandas.py;
#   (c) polars (Python) + scikit-learn doing leadtune's fit, benches/anchor/scorecard_polars.py;
#   (d) the floor: one polars scan of the input columns, benches/anchor/floor_polars.py.
# (b) and (c) build the same model population, outcomes, time split and traits from the CSV
# files (see benches/anchor/README.md for what they take from leadtune: its settings and its
# existing-customer matches) and time each stage (import, read, features, binning, fit, score).
# Every process runs under /usr/bin/time -v (wall clock, peak RSS).
#
# Writes target/bench/compare-LEADS.md and .csv (printed at the end), raw results in
# target/bench/compare-LEADS/. The data is generated once into target/bench-data/LEADS/ (shared
# with the other benches). The Python venv is target/anchor-venv, installed from the pinned
# benches/anchor/requirements.txt and reinstalled only when that file (or Python) changes.
#
# Environment (all optional):
#   LEADTUNE_BIN  a leadtune binary to use instead of building target/release/leadtune
#   BENCH_DATA    the history's folder (default target/bench-data/LEADS)
#   BENCH_OUT     where results go (default target/bench)
#   ANCHOR_VENV   the venv (default target/anchor-venv); PYTHON creates it (default python3)
#   RUNS          runs of each contender (default 1; with more, the median is reported)
#   CHECK=1       the Python contenders also write their population, and
#                 benches/anchor/check.py compares it with leadtune's (not for timing runs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

leads=${1:-1000000}
seed=${2:-7}
[[ "$leads" =~ ^[0-9]+$ && "$seed" =~ ^[0-9]+$ ]] || { echo "usage: benches/compare.sh [LEADS] [SEED]" >&2; exit 1; }
data=${BENCH_DATA:-target/bench-data/$leads}
out=${BENCH_OUT:-target/bench}
venv=${ANCHOR_VENV:-target/anchor-venv}
runs=${RUNS:-1}
python=${PYTHON:-python3}
res=$out/compare-$leads
anchor=$root/benches/anchor

fail() { echo "compare: $*" >&2; exit 1; }
[[ -x /usr/bin/time ]] || fail "/usr/bin/time is missing (apt-get install time)"

# --- leadtune -------------------------------------------------------------------------------
if [[ -n "${LEADTUNE_BIN:-}" ]]; then
  bin=$LEADTUNE_BIN
else
  cargo build --release --quiet
  bin=target/release/leadtune
fi
[[ -x "$bin" ]] || fail "no leadtune binary at $bin"

# --- the venv -------------------------------------------------------------------------------
requirements=$anchor/requirements.txt
if [[ ! -x "$venv/bin/python" ]]; then
  echo "compare: creating venv $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail "could not create a venv with $python"
fi
stamp=$venv/.anchor-requirements.sha256
want=$("$venv/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read() + sys.version.encode()).hexdigest())' "$requirements")
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  echo "compare: installing benches/anchor/requirements.txt into $venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$requirements" || fail "pip install -r benches/anchor/requirements.txt failed"
  printf '%s\n' "$want" >"$stamp"
fi
py=$venv/bin/python

# --- the data -------------------------------------------------------------------------------
if [[ ! -f "$data/leadtune.toml" ]]; then
  echo "compare: generating $leads leads (seed $seed) into $data ..."
  /usr/bin/time -f "generate: %e s wall, %M KiB peak" \
    "$bin" generate --force --out "$data" --leads "$leads" --seed "$seed" >/dev/null
fi
have_seed=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["seed"])' "$data/truth.json")
[[ "$have_seed" == "$seed" ]] ||
  fail "$data holds seed $have_seed, not $seed: remove it or set BENCH_DATA"

# --- the runs -------------------------------------------------------------------------------
rm -rf "$res"
mkdir -p "$res"
{
  echo -n "$(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), "
  echo -n "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1024 / 1024}' /proc/meminfo), "
  echo -n "$(uname -sr), $("$bin" --version), $("$py" -V)"
} >"$res/machine.txt"
check_env=()
[[ "${CHECK:-}" == 1 ]] && check_env=(ANCHOR_WRITE_POPULATION=1)

cpu_ticks() {  # busy and total ticks of all CPUs since boot (/proc/stat)
  local u n s i w q sq st
  read -r _ u n s i w q sq st _ </proc/stat
  echo "$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
}

busy() {  # percent of the CPUs in use over one second (nothing of ours runs then)
  local b1 t1 b2 t2
  read -r b1 t1 < <(cpu_ticks)
  sleep 1
  read -r b2 t2 < <(cpu_ticks)
  echo $((100 * (b2 - b1) / (t2 > t1 ? t2 - t1 : 1)))
}

timed() {  # timed NAME RUN COMMAND...: /usr/bin/time -v into NAME.RUN.time, output into NAME.RUN.log
  local name=$1 run=$2 other b1 t1 b2 t2
  shift 2
  other=$(busy)
  echo "compare: run $run: $name (other processes used ${other}% of the CPUs just before)"
  ((other <= 20)) || echo "compare: warning: something else is running, the timings will suffer" >&2
  read -r b1 t1 < <(cpu_ticks)
  /usr/bin/time -v -o "$res/$name.$run.time" "$@" >"$res/$name.$run.log" 2>&1 ||
    fail "$name failed (exit $?): see $res/$name.$run.log"
  read -r b2 t2 < <(cpu_ticks)
  # before: busy share just before; during: busy and total CPU ticks while it ran (the report
  # subtracts the process's own CPU time to see what else ran); ticks per second.
  echo "$other $((b2 - b1)) $((t2 - t1)) $(getconf CLK_TCK)" >"$res/$name.$run.busy"
  sed -n 's/^\tElapsed (wall clock) time (h:mm:ss or m:ss): /  wall /p; s/^\tMaximum resident set size (kbytes): /  peak RSS KiB /p' "$res/$name.$run.time"
}

for run in $(seq 1 "$runs"); do
  cat "$data"/*.csv >/dev/null  # the same warm page cache for everyone
  timed leadtune-run "$run" "$bin" run --config "$data/leadtune.toml" --out "$res/leadtune-run"
  cp "$res/leadtune-run/manifest.json" "$res/leadtune-run.$run.manifest.json"
  timed leadtune-traits "$run" "$bin" traits --config "$data/leadtune.toml" --out "$res/leadtune-traits"
  for contender in pandas polars; do
    timed "$contender" "$run" env "${check_env[@]}" "$py" "$anchor/scorecard_$contender.py" \
      "$data" "$res/leadtune-run" "$res/$contender.$run.json"
  done
  timed floor "$run" "$py" "$anchor/floor_polars.py" "$data" "$res/leadtune-run" "$res/floor.$run.json"
done

"$py" "$anchor/report.py" "$res" "$leads" "$seed" "$out/compare-$leads.md" "$out/compare-$leads.csv"
echo "compare: wrote $out/compare-$leads.md and $out/compare-$leads.csv (raw results in $res)"
if [[ "${CHECK:-}" == 1 ]]; then
  "$py" "$anchor/check.py" "$res/leadtune-run" "$res/pandas.$runs.json.population.csv" \
    "$res/polars.$runs.json.population.csv"
fi
