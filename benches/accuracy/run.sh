#!/usr/bin/env bash
# Accuracy on held-out rows: leadtune against scikit-learn and optbinning, on the same rows and
# the same split (see benches/accuracy/README.md).
#
#   benches/accuracy/run.sh
#   LEADTUNE=/path/to/leadtune benches/accuracy/run.sh     # that binary, no cargo build
#
# Data sets: ../shared/data/bank-marketing/bank-full.csv and
# ../shared/data/online-shoppers/online_shoppers_intention.csv (first 75% of rows train, the
# rest test, as their READMEs say), and two generated histories (`leadtune generate --leads
# 20000 --seed 1` and `--leads 200000 --seed 7`; the oldest 75% of the model population train).
# Each with all its inputs and without the one that leaks (duration, PageValues,
# sales_note_status), for both sides.
#
# leadtune: `leadtune run` on the training rows, then `leadtune score` with the exported
# scoring-config.json on the test rows; its test AUC is that of the integer `score`.
# Anchors (benches/accuracy/anchors.py): scikit-learn LogisticRegression (one-hot +
# standardised) and the optbinning Scorecard (integer points), fitted on the same training rows.
#
# Writes target/accuracy/results.csv and results.md (printed at the end); every input and
# output under target/accuracy/ (DATASET/data: the split files; DATASET/VARIANT: leadtune.toml,
# leadtune/ (the run's outputs), run.log, scores.csv, score.log, anchors.csv, anchors.json;
# train-scores.csv: the training rows scored too, to check that `leadtune score` gives back the
# validation AUC in the run's evaluation.json).
# The Python venv is target/accuracy/venv from benches/accuracy/requirements.txt (reinstalled
# only when that file or Python changes); the generated histories are made once per binary.
#
# Environment (all optional):
#   LEADTUNE        a leadtune binary to use instead of building target/release/leadtune
#   ACCURACY_OUT    where everything goes (default target/accuracy)
#   ACCURACY_VENV   the venv (default ACCURACY_OUT/venv); PYTHON creates it (default python3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=benches/accuracy
out=${ACCURACY_OUT:-target/accuracy}
venv=${ACCURACY_VENV:-$out/venv}
python=${PYTHON:-python3}
fail() { echo "accuracy: $*" >&2; exit 1; }

# --- leadtune -------------------------------------------------------------------------------
if [[ -n "${LEADTUNE:-}" ]]; then
  bin=$LEADTUNE
else
  cargo build --release --quiet
  bin=target/release/leadtune
fi
[[ -x "$bin" ]] || fail "no leadtune binary at $bin"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")  # the runs cd into their folders
bin_sha=$(sha256sum "$bin" | cut -d' ' -f1)

# --- the venv -------------------------------------------------------------------------------
requirements=$here/requirements.txt
mkdir -p "$out"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "accuracy: creating venv $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail "could not create a venv with $python"
fi
stamp=$venv/.accuracy-requirements.sha256
want=$("$venv/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read() + sys.version.encode()).hexdigest())' "$requirements")
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  echo "accuracy: installing $requirements into $venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$requirements" || fail "pip install -r $requirements failed"
  printf '%s\n' "$want" >"$stamp"
fi
py=$venv/bin/python
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ beside the scripts

# --- the generated histories ----------------------------------------------------------------
# generated NAME LEADS SEED: the history (made once per binary and arguments) and leadtune's
# trait discovery on all of it (existing-customer matches, the data's end, the population's
# size, for prepare.py).
generated() {
  local dir=$out/$1 args="--leads $2 --seed $3"
  local history=$dir/history stamp="generate $args with $bin_sha"
  if [[ "$(cat "$history/.stamp" 2>/dev/null || true)" != "$stamp" ]]; then
    echo "accuracy: leadtune generate $args"
    rm -rf "$history"
    # shellcheck disable=SC2086
    "$bin" generate --out "$history" $args >"$dir/generate.log" 2>&1 ||
      fail "leadtune generate failed: see $dir/generate.log"
    echo "$stamp" >"$history/.stamp"
  fi
  rm -rf "$dir/history-traits"
  "$bin" traits --config "$history/leadtune.toml" --out "$dir/history-traits" \
    >"$dir/history-traits.log" 2>&1 || fail "leadtune traits failed: see $dir/history-traits.log"
}

# --- prepare, run, score --------------------------------------------------------------------
datasets=(bank shoppers gen-20k gen-200k)
for ds in "${datasets[@]}"; do
  dir=$out/$ds
  mkdir -p "$dir"
  # The split files and the variants' folders are rewritten every time.
  find "$dir" -mindepth 1 -maxdepth 1 ! -name history ! -name generate.log -exec rm -rf {} +
  case $ds in
    bank) kind=bank ;;
    shoppers) kind=shoppers ;;
    gen-20k) kind=generated; generated "$ds" 20000 1 ;;
    gen-200k) kind=generated; generated "$ds" 200000 7 ;;
  esac
  echo "accuracy: $ds: splitting, fitting the anchors"
  "$py" "$here/prepare.py" "$kind" "$dir" >"$dir/variants.txt" || fail "prepare.py $kind failed"
  while read -r variant as_of; do
    as_of_arg=()
    [[ $as_of == - ]] || as_of_arg=(--as-of "$as_of")
    acts=()
    [[ ! -f $dir/data/test-activities.csv ]] || acts=(--activities ../data/test-activities.csv)
    [[ ! -f $dir/data/test-deals.csv ]] || acts+=(--deals ../data/test-deals.csv)
    train_acts=("${acts[@]/test-activities/train-activities}")
    train_acts=("${train_acts[@]/test-deals/train-deals}")
    echo "accuracy: $variant: leadtune run, leadtune score"
    (
      cd "$variant"
      "$bin" run --config leadtune.toml "${as_of_arg[@]}" >run.log 2>&1 ||
        fail "leadtune run failed: see $variant/run.log"
      "$bin" score --model leadtune/scoring-config.json --leads ../data/test-leads.csv \
        "${acts[@]}" --reasons 0 --out scores.csv >score.log 2>&1 ||
        fail "leadtune score failed: see $variant/score.log"
      # The check of the protocol: scoring the training rows gives back run's validation AUC.
      "$bin" score --model leadtune/scoring-config.json --leads ../data/train-leads.csv \
        "${train_acts[@]}" --reasons 0 --out train-scores.csv \
        >train-score.log 2>&1 || fail "leadtune score failed: see $variant/train-score.log"
    )
  done <"$dir/variants.txt"
done

# --- the table ------------------------------------------------------------------------------
{
  echo "binary: $bin (sha256 $bin_sha, $("$bin" --version))"
  echo "python: $("$py" -V 2>&1); $(nproc) cores, $(uname -sr)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$out/machine.txt"
"$py" "$here/report.py" "$out" "${datasets[@]}"
