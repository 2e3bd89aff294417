#!/usr/bin/env bash
# Checks that two leadtune binaries write the same bytes: a refactor must not change any output.
#
#   scripts/compare-outputs.sh [--commands LIST] BASE_BINARY NEW_BINARY [DATASET...]
#
# DATASET (default: all four, in this order):
#   sample     data/sample with ./leadtune.toml (the README's `leadtune run`)
#   csv200k    `leadtune generate --leads 200000 --seed 7` (CSV)
#   parquet1m  `leadtune generate --leads 1000000 --seed 11 --format parquet`
#   bank       ../shared/data/bank-marketing/bank-full.csv (UCI Bank Marketing) with a
#              leadtune.toml this script writes: `;`-delimited, no id column (`@row`), outcome
#              `y`, `unknown` = missing, no dates (`file_order` split), `duration` excluded (it
#              leaks the outcome; see that folder's README.md). `score` takes no config, so
#              it scores leads-with-id.csv, a copy with the row number as lead_id
# The generated histories are made once, with BASE_BINARY, in the data cache and reused; the
# bank's leadtune.toml is rewritten on every call (so it always matches this script).
#
# COMMANDS (--commands LIST or LEADTUNE_COMPARE_COMMANDS; comma- or space-separated):
#   run         leadtune run --config CFG --out DIR
#   validate    leadtune validate ... (its own output dir)
#   traits      leadtune traits ... (its own output dir)
#   score       leadtune score --model M --leads L [--activities A] --out F: CSV, Parquet,
#               --explain --reasons 5, and CSV without --activities
#   diff        leadtune diff M M, and OLD M with OLD from `run --as-of` a half-year earlier
#               (step run-asof), as text and --json, and with --leads/--activities/--changes
#   export-sql  leadtune export-sql --model M --dialect sqlite|postgres, to standard output
#               and with --out (postgres with --select)
# Default: all six on sample, `run` on the others. The model M that score, diff and export-sql
# read is BASE_BINARY's run output (scoring-config.json) for both binaries, so that those steps
# compare the commands themselves, not a run that already differed; they need `run`, which is
# added when missing.
#
# Every step runs BASE_BINARY, then NEW_BINARY (one after the other, never both at once), with
# the same arguments and the same output path (OUT/stage/DATASET/STEP), whose result is then
# moved to OUT/base/DATASET/STEP and OUT/new/DATASET/STEP. Standard output, standard error and
# the exit code go beside it (STEP.stdout, STEP.stderr, STEP.rc; STEP.stdout.norm etc. are the
# normalised copies that are compared).
#
# Compared, per step: the exit codes; standard output and standard error after replacing the
# output path, the repo root and the binary's path with <OUT>, <ROOT>, <BIN>; and every file of
# the two output trees, recursively: the same set of relative paths, then equal bytes. Files
# named manifest.json are compared with their top-level "timings_ms" object emptied (the only
# field that differs between identical runs) and the output path replaced (config
# output_dir_written holds it); everything else in them, key order and number text included,
# must be equal. What differs is listed: the files, the first differing lines of text files
# (diff | head), the first differing byte of binary ones.
#
# Prints one verdict line per data set and step, then a summary (also written to
# OUT/summary.txt). Exit status: 0 all identical, 1 a difference (or a step that failed for
# BASE_BINARY too, which tests nothing), 2 a usage or setup error (missing binary, data).
#
# Environment (all optional):
#   LEADTUNE_COMPARE_DATA      the data cache (default target/compare-data)
#   LEADTUNE_COMPARE_OUT       where outputs go (default target/compare-out; DATASET's part is
#                              replaced on every call)
#   LEADTUNE_COMPARE_COMMANDS  as --commands
#   LEADTUNE_COMPARE_DIFF_LINES  lines of diff shown per differing text file (default 20)
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}
die() { echo "compare-outputs: $*" >&2; exit 2; }

commands=${LEADTUNE_COMPARE_COMMANDS:-}
positional=()
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --commands) (($# >= 2)) || die "--commands needs a list"; commands=$2; shift 2 ;;
    --commands=*) commands=${1#--commands=}; shift ;;
    --) shift; positional+=("$@"); break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) positional+=("$1"); shift ;;
  esac
done
((${#positional[@]} >= 2)) || { usage >&2; exit 2; }

# The binaries, as absolute paths (the script works from the repo root).
abs_bin() {
  local b=$1
  [[ -e $b ]] || die "binary not found: $b"
  [[ -f $b && -x $b ]] || die "not an executable file: $b"
  b=$(cd "$(dirname "$b")" && pwd)/$(basename "$b")
  "$b" --version >/dev/null 2>&1 || die "$b --version failed: is it a leadtune binary?"
  echo "$b"
}
base_bin=$(abs_bin "${positional[0]}")
new_bin=$(abs_bin "${positional[1]}")
datasets=("${positional[@]:2}")
((${#datasets[@]})) || datasets=(sample csv200k parquet1m bank)
for ds in "${datasets[@]}"; do
  case $ds in sample | csv200k | parquet1m | bank) ;; *) die "unknown data set $ds (sample, csv200k, parquet1m, bank)" ;; esac
done
known_commands=" run validate traits score diff export-sql "
if [[ -n $commands ]]; then
  read -r -a cmd_list <<<"${commands//,/ }"
  for c in "${cmd_list[@]}"; do
    [[ $known_commands == *" $c "* ]] || die "unknown command $c (run validate traits score diff export-sql)"
  done
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
data_root=${LEADTUNE_COMPARE_DATA:-target/compare-data}
out_root=${LEADTUNE_COMPARE_OUT:-target/compare-out}
diff_lines=${LEADTUNE_COMPARE_DIFF_LINES:-20}
mkdir -p "$data_root" "$out_root"
command -v python3 >/dev/null || die "python3 is needed (manifest.json comparison)"
# The interpreter itself (not a pyenv shim), without site-packages: it starts in 10 ms, not 170.
python=$(python3 -c 'import sys; print(sys.executable)')
# Nothing from the caller's environment that changes what leadtune prints.
unset LEADTUNE_LAPS

now() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e9 }'; }

# --- data ----------------------------------------------------------------------------------

# generate NAME ARGS...: leadtune generate into the cache, once; keyed by its arguments.
generate() {
  local name=$1; shift
  local dir=$data_root/$name stamp="generate $*"
  if [[ -f $dir/.compare-stamp && $(cat "$dir/.compare-stamp") == "$stamp" && -f $dir/leadtune.toml ]]; then
    return
  fi
  [[ ! -e $dir ]] || { echo "  $dir is stale or incomplete: generating it again" >&2; rm -rf "$dir"; }
  echo "  generating $name with the base binary: leadtune $stamp --out $dir" >&2
  local t0; t0=$(now)
  rm -rf "$dir.tmp"
  "$base_bin" generate --out "$dir.tmp" "$@" >"$data_root/$name.generate.log" 2>&1 ||
    die "generating $name failed (see $data_root/$name.generate.log)"
  echo "$stamp" >"$dir.tmp/.compare-stamp"
  mv "$dir.tmp" "$dir"
  echo "  generated $name in $(secs $(($(now) - t0))) s" >&2
}

bank_csv=../shared/data/bank-marketing/bank-full.csv
bank_sha256=d1513ec63b385506f7cfce9f2c5caa9fe99e7ba4e8c3fa264b3aaf0f849ed32d

write_bank_config() {
  local dir=$data_root/bank
  [[ -f $bank_csv ]] || die "$root/$bank_csv is missing: ../shared must sit beside the repo"
  mkdir -p "$dir"
  if [[ ! -f $dir/.sha256-ok ]]; then
    [[ $(sha256sum "$bank_csv" | cut -d' ' -f1) == "$bank_sha256" ]] ||
      die "$bank_csv is not the original bank-full.csv (sha256 differs from its README's)"
    touch "$dir/.sha256-ok"
  fi
  local rel; rel=$(realpath --relative-to="$dir" "$bank_csv")
  cat >"$dir/leadtune.toml.tmp" <<EOF
# Written by scripts/compare-outputs.sh: the UCI Bank Marketing data (bank-full.csv, 45,211
# contacted clients, May 2008 - Nov 2010; see ../shared/data/bank-marketing/README.md).
[input]
leads = "$rel"
delimiter = ";"           # the file's delimiter (text fields quoted)

[columns]
lead_id = "@row"          # no id column: the row number
converted = "y"           # the outcome, yes / no

[traits]
exclude = ["duration"]    # the last call's length, known only once y is: it leaks the outcome
missing = ["unknown"]     # the file's token for a missing value

[model]
validation = "file_order" # day and month but no year: the rows are in time order, hold out the last
EOF
  # `score` reads no config, so no `@row`: it scores a copy with the row number as lead_id.
  if [[ ! -f $dir/leads-with-id.csv ]]; then
    awk 'BEGIN { FS = OFS = ";" } NR == 1 { print "\"lead_id\"", $0; next } { print NR - 1, $0 }' \
      "$bank_csv" >"$dir/leads-with-id.csv.tmp"
    mv "$dir/leads-with-id.csv.tmp" "$dir/leads-with-id.csv"
  fi
  if cmp -s "$dir/leadtune.toml.tmp" "$dir/leadtune.toml"; then
    rm "$dir/leadtune.toml.tmp"
  else
    mv "$dir/leadtune.toml.tmp" "$dir/leadtune.toml"
  fi
}

# Sets cfg, leads, activities (may be empty) and as_of (may be empty) for data set $1.
dataset() {
  activities='' as_of=''
  case $1 in
    sample)
      [[ -f leadtune.toml && -f data/sample/leads.csv ]] || die "data/sample or ./leadtune.toml is missing"
      cfg=leadtune.toml leads=data/sample/leads.csv activities=data/sample/activities.csv
      as_of=2024-12-31 ;;
    csv200k)
      generate csv200k --leads 200000 --seed 7
      cfg=$data_root/csv200k/leadtune.toml leads=$data_root/csv200k/leads.csv
      activities=$data_root/csv200k/activities.csv as_of=2024-12-31 ;;
    parquet1m)
      generate parquet1m --leads 1000000 --seed 11 --format parquet
      cfg=$data_root/parquet1m/leadtune.toml leads=$data_root/parquet1m/leads.parquet
      activities=$data_root/parquet1m/activities.parquet as_of=2024-12-31 ;;
    bank)
      write_bank_config
      cfg=$data_root/bank/leadtune.toml leads=$data_root/bank/leads-with-id.csv ;;
  esac
}

# --- comparing -----------------------------------------------------------------------------

# normalize FILE OUTPATH BIN: FILE's text with the output path, repo root and binary replaced.
normalize() {
  "$python" -S - "$@" <<'PY'
import sys
path, out, binary, root = sys.argv[1:5]
text = open(path, "rb").read().decode("utf-8", "surrogateescape")
for old, new in ((binary, "<BIN>"), (root + "/" + out, "<OUT>"), (out, "<OUT>"), (root, "<ROOT>")):
    text = text.replace(old, new)
sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
PY
}

# normalize_manifest FILE OUTPATH: the manifest with its top-level "timings_ms" object emptied
# and the output path replaced; otherwise its exact text (key order, number text, spacing).
normalize_manifest() {
  "$python" -S - "$@" <<'PY'
import json, re, sys
path, out, root = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
try:
    doc = json.loads(text)
except ValueError as e:
    sys.stdout.write(text)  # compared as it is
    sys.exit(0)
if isinstance(doc, dict) and "timings_ms" in doc:
    # timings_ms maps step names to milliseconds: a flat object, no braces inside. Only the
    # top-level key is emptied (checked by parsing the result again).
    new, n = re.subn(r'("timings_ms"\s*:\s*)\{[^{}]*\}', r"\1{}", text)
    check = json.loads(new) if n == 1 else None
    if check is not None and check.get("timings_ms") == {} and \
            {k: v for k, v in check.items() if k != "timings_ms"} == \
            {k: v for k, v in doc.items() if k != "timings_ms"}:
        text = new
    else:  # another layout: drop the key through json, keeping key order and number text
        doc = json.loads(text, parse_float=lambda s: "<num>" + s, parse_int=lambda s: "<num>" + s)
        doc["timings_ms"] = {}
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
for old, new in ((root + "/" + out, "<OUT>"), (out, "<OUT>")):
    text = text.replace(json.dumps(old)[1:-1], new)
sys.stdout.write(text)
PY
}

join() { local sep=$1 out=$2 x; shift 2; for x; do out+=$sep$x; done; echo "$out"; }
is_text() { [[ ! -s $1 ]] || LC_ALL=C grep -Iq . "$1"; }

# show_difference A B LABEL: the first differing lines (text) or byte (binary).
show_difference() {
  local a=$1 b=$2
  if is_text "$a" && is_text "$b"; then
    diff -- "$a" "$b" | head -n "$diff_lines" | sed 's/^/        /' || true
  else
    echo "        binary: base $(stat -c %s "$a") bytes, new $(stat -c %s "$b") bytes; $(cmp -- "$a" "$b" 2>&1 | head -n 1 | sed 's/^.*differ: //; s/, line .*//')"
  fi
}

# compare_trees A B STAGE: every file under A and B (relative paths and bytes). Prints details;
# sets tree_files (number of files compared) and tree_diffs (names of the differing ones).
compare_trees() {
  local a=$1 b=$2 stage=$3 f
  tree_files=0 tree_diffs=()
  local la lb
  la=$(mktemp) lb=$(mktemp)
  [[ ! -d $a ]] || (cd "$a" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort) >"$la"
  [[ ! -d $b ]] || (cd "$b" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort) >"$lb"
  while IFS= read -r f; do
    tree_diffs+=("$f (only base)"); echo "      only in base: $f"
  done < <(LC_ALL=C comm -23 "$la" "$lb")
  while IFS= read -r f; do
    tree_diffs+=("$f (only new)"); echo "      only in new: $f"
  done < <(LC_ALL=C comm -13 "$la" "$lb")
  while IFS= read -r f; do
    tree_files=$((tree_files + 1))
    if [[ ${f##*/} == manifest.json ]]; then
      normalize_manifest "$a/$f" "$stage" "$root" >"$work/m.base"
      normalize_manifest "$b/$f" "$stage" "$root" >"$work/m.new"
      if ! cmp -s "$work/m.base" "$work/m.new"; then
        tree_diffs+=("$f"); echo "      differs: $f (timings_ms and the output path left out)"
        show_difference "$work/m.base" "$work/m.new"
      fi
    elif ! cmp -s -- "$a/$f" "$b/$f"; then
      tree_diffs+=("$f"); echo "      differs: $f"
      show_difference "$a/$f" "$b/$f"
    fi
  done < <(LC_ALL=C comm -12 "$la" "$lb")
  rm -f "$la" "$lb"
}

verdicts=()
failures=0

# step DATASET STEP ARG...: runs `leadtune ARG...` with each binary (@OUT@ in an argument is
# the step's output path), then compares. A step without @OUT@ still gets an (empty) tree.
step() {
  local ds=$1 name=$2; shift 2
  local stage=$out_root/stage/$ds/$name side bin rc t0 t1
  local -A rcs=() took=()
  for side in base new; do
    [[ $side == base ]] && bin=$base_bin || bin=$new_bin
    local dest=$out_root/$side/$ds
    mkdir -p "$dest"
    rm -rf "${stage:?}" "${dest:?}/$name" "$dest/$name".*
    mkdir -p "$stage"
    local args=("${@//@OUT@/$stage}")
    printf '%s\n' "leadtune ${args[*]}" >"$dest/$name.cmd"
    t0=$(now)
    "$bin" "${args[@]}" >"$dest/$name.stdout" 2>"$dest/$name.stderr" </dev/null && rc=0 || rc=$?
    t1=$(now)
    echo "$rc" >"$dest/$name.rc"
    rcs[$side]=$rc took[$side]=$((t1 - t0))
    mv "$stage" "$dest/$name"
    normalize "$dest/$name.stdout" "$stage" "$bin" "$root" >"$dest/$name.stdout.norm"
    normalize "$dest/$name.stderr" "$stage" "$bin" "$root" >"$dest/$name.stderr.norm"
  done
  ds_ns[$ds]=$((${ds_ns[$ds]:-0} + took[base] + took[new]))

  local a=$out_root/base/$ds b=$out_root/new/$ds problems=() details
  details=$(
    compare_trees "$a/$name" "$b/$name" "$stage"
    for s in stdout stderr; do
      if ! cmp -s "$a/$name.$s.norm" "$b/$name.$s.norm"; then
        echo "      $s differs:"
        show_difference "$a/$name.$s.norm" "$b/$name.$s.norm"
      fi
    done
    echo "@files $tree_files"
    printf '@diff %s\n' "${tree_diffs[@]}"
  )
  local nfiles diffs
  nfiles=$(sed -n 's/^@files //p' <<<"$details")
  mapfile -t diffs < <(sed -n 's/^@diff \(..*\)$/\1/p' <<<"$details")
  ((${#diffs[@]} == 0)) || problems+=("${#diffs[@]} file(s): $(join ', ' "${diffs[@]}")")
  for s in stdout stderr; do
    cmp -s "$a/$name.$s.norm" "$b/$name.$s.norm" || problems+=("$s")
  done
  [[ ${rcs[base]} == "${rcs[new]}" ]] || problems+=("exit ${rcs[base]} vs ${rcs[new]}")
  local timing
  timing="base $(secs "${took[base]}") s, new $(secs "${took[new]}") s"
  local line
  if ((${#problems[@]})); then
    line=$(printf '%-26s DIFFERENT: %s  (%s)' "$ds/$name" "$(join '; ' "${problems[@]}")" "$timing")
    failures=$((failures + 1))
  elif [[ ${rcs[base]} != 0 ]]; then
    line=$(printf '%-26s FAILED: both exit %s, nothing compared (see %s.stderr)  (%s)' "$ds/$name" "${rcs[base]}" "$a/$name" "$timing")
    failures=$((failures + 1))
  else
    line=$(printf '%-26s identical  (%s files, stdout, stderr, exit 0)  (%s)' "$ds/$name" "$nfiles" "$timing")
  fi
  echo "$line"
  grep -v '^@' <<<"$details" || true
  verdicts+=("$line")
}

# --- the steps -----------------------------------------------------------------------------

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A ds_ns=()

echo "base: $base_bin ($("$base_bin" --version))"
echo "new:  $new_bin ($("$new_bin" --version))"
echo "data: $data_root, outputs: $out_root/{base,new}/DATASET/STEP"

for ds in "${datasets[@]}"; do
  echo
  echo "== $ds"
  t_ds=$(now)
  dataset "$ds"
  if [[ -n $commands ]]; then
    wanted=" ${cmd_list[*]} "
  elif [[ $ds == sample ]]; then
    wanted=" run validate traits score diff export-sql "
  else
    wanted=" run "
  fi
  if [[ $wanted =~ \ (score|diff|export-sql)\  && $wanted != *" run "* ]]; then
    wanted=" run$wanted"
  fi
  rm -rf "$out_root/base/$ds" "$out_root/new/$ds" "$out_root/stage/$ds"
  model=$out_root/base/$ds/run/scoring-config.json
  act=()
  [[ -z $activities ]] || act=(--activities "$activities")

  [[ $wanted != *" run "* ]] || step "$ds" run run --config "$cfg" --out @OUT@
  [[ $wanted != *" validate "* ]] || step "$ds" validate validate --config "$cfg" --out @OUT@
  [[ $wanted != *" traits "* ]] || step "$ds" traits traits --config "$cfg" --out @OUT@
  if [[ $wanted =~ \ (score|diff|export-sql)\  && ! -f $model ]]; then
    echo "$ds: the base binary's run wrote no $model: skipping score, diff and export-sql"
    verdicts+=("$(printf '%-26s FAILED: no base scoring-config.json' "$ds/score,diff,export-sql")")
    failures=$((failures + 1))
    wanted=" run "
  fi
  if [[ $wanted == *" score "* ]]; then
    step "$ds" score-csv score --model "$model" --leads "$leads" "${act[@]}" --out @OUT@/scores.csv
    step "$ds" score-parquet score --model "$model" --leads "$leads" "${act[@]}" --out @OUT@/scores.parquet
    step "$ds" score-explain score --model "$model" --leads "$leads" "${act[@]}" --explain --reasons 5 --out @OUT@/scores.csv
    [[ -z $activities ]] || step "$ds" score-no-activities score --model "$model" --leads "$leads" --out @OUT@/scores.csv
  fi
  if [[ $wanted == *" diff "* ]]; then
    step "$ds" diff-self diff "$model" "$model"
    step "$ds" diff-self-json diff "$model" "$model" --json
    if [[ -n $as_of ]]; then
      step "$ds" run-asof run --config "$cfg" --out @OUT@ --as-of "$as_of"
      old=$out_root/base/$ds/run-asof/scoring-config.json
      if [[ -f $old ]]; then
        step "$ds" diff-asof diff "$old" "$model"
        step "$ds" diff-asof-json diff "$old" "$model" --json
        step "$ds" diff-asof-leads diff "$old" "$model" --leads "$leads" "${act[@]}" --changes @OUT@/changes.csv --json
      fi
    fi
  fi
  if [[ $wanted == *" export-sql "* ]]; then
    step "$ds" export-sqlite export-sql --model "$model" --dialect sqlite
    step "$ds" export-postgres export-sql --model "$model" --dialect postgres
    step "$ds" export-sqlite-file export-sql --model "$model" --dialect sqlite --out @OUT@/scores.sql
    step "$ds" export-postgres-select export-sql --model "$model" --dialect postgres --select --out @OUT@/scores.sql
  fi
  rm -rf "$out_root/stage/$ds"
  echo "   $ds: $(secs $(($(now) - t_ds))) s in all ($(secs "${ds_ns[$ds]:-0}") s in the binaries)"
done
rmdir "$out_root/stage" 2>/dev/null || true

{
  echo
  echo "== summary ($base_bin vs $new_bin)"
  printf '%s\n' "${verdicts[@]}"
  if ((failures)); then
    echo "NOT IDENTICAL: $failures of ${#verdicts[@]} steps differ or failed"
  else
    echo "ALL IDENTICAL: ${#verdicts[@]} steps"
  fi
} | tee "$out_root/summary.txt"
((failures == 0)) || exit 1
