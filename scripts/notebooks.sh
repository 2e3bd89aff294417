#!/usr/bin/env bash
# Executes every notebook in notebooks/ headless against one leadtune run directory.
#
#   scripts/notebooks.sh                      # the run in reports/latest
#   LEADTUNE_RUN=out/q2 LEADTUNE_PREVIOUS_CONFIG=out/q1/scoring-config.json scripts/notebooks.sh
#
# Environment (all optional):
#   LEADTUNE_RUN              run directory (the --out of `leadtune run`); default reports/latest
#   LEADTUNE_PREVIOUS_CONFIG  an older scoring-config.json to compare the run's config with
#   LEADTUNE_INPUTS           folder of the run's input files, when not found from manifest.json
#   LEADTUNE_VENV             the Python venv to create/use; default target/notebook-venv
#   LEADTUNE_NOTEBOOK_OUT     where the executed copies go; default target/notebooks-out
#   LEADTUNE_NOTEBOOK_TIMEOUT seconds one cell may run; default 600
#   PYTHON                    the interpreter that creates the venv; default python3
#
# The venv is created when missing and the pinned notebooks/requirements.txt installed into it;
# later runs skip pip while requirements.txt (and the Python version) are unchanged. The
# notebooks in notebooks/ are never modified: executed copies, with outputs, go to
# LEADTUNE_NOTEBOOK_OUT. Exits non-zero, naming the notebook and cell, when any cell fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Paths given by the caller are relative to the caller's folder; defaults to the checkout.
absolute() {
    local path="$1"
    [[ "$path" == /* ]] || path="$PWD/$path"
    if [[ -d "$path" ]]; then
        (cd "$path" && pwd)
    elif [[ -d "$(dirname "$path")" ]]; then
        printf '%s/%s\n' "$(cd "$(dirname "$path")" && pwd)" "$(basename "$path")"
    else
        printf '%s\n' "$path"
    fi
}
if [[ -n "${LEADTUNE_RUN:-}" ]]; then run="$(absolute "$LEADTUNE_RUN")"; else run="$root/reports/latest"; fi
if [[ -n "${LEADTUNE_VENV:-}" ]]; then venv="$(absolute "$LEADTUNE_VENV")"; else venv="$root/target/notebook-venv"; fi
if [[ -n "${LEADTUNE_NOTEBOOK_OUT:-}" ]]; then out="$(absolute "$LEADTUNE_NOTEBOOK_OUT")"; else out="$root/target/notebooks-out"; fi
previous=""
if [[ -n "${LEADTUNE_PREVIOUS_CONFIG:-}" ]]; then previous="$(absolute "$LEADTUNE_PREVIOUS_CONFIG")"; fi
inputs=""
if [[ -n "${LEADTUNE_INPUTS:-}" ]]; then inputs="$(absolute "$LEADTUNE_INPUTS")"; fi
timeout="${LEADTUNE_NOTEBOOK_TIMEOUT:-600}"
python="${PYTHON:-python3}"
requirements="$root/notebooks/requirements.txt"

fail() {
    echo "notebooks: $*" >&2
    exit 1
}

[[ -d "$run" ]] || fail "run directory $run does not exist: make one with \`leadtune run --out $run\` (or set LEADTUNE_RUN)"
[[ -f "$run/scoring-config.json" ]] || fail "$run has no scoring-config.json: is it the output of \`leadtune run\`?"
[[ -z "$previous" || -f "$previous" ]] || fail "LEADTUNE_PREVIOUS_CONFIG: $previous does not exist"
[[ -z "$inputs" || -d "$inputs" ]] || fail "LEADTUNE_INPUTS: $inputs is not a folder"
[[ "$timeout" =~ ^[0-9]+$ ]] || fail "LEADTUNE_NOTEBOOK_TIMEOUT must be a number of seconds, not '$timeout'"
[[ -f "$requirements" ]] || fail "$requirements is missing"
command -v "$python" >/dev/null || fail "$python not found: install Python 3.11+ (with its venv module)"

# --- the venv ------------------------------------------------------------------------------
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" && -n "$(ls -A "$venv" 2>/dev/null)" ]]; then
        fail "LEADTUNE_VENV: $venv exists and is not a Python venv; point LEADTUNE_VENV elsewhere"
    fi
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        fail "$python is $("$python" -V 2>&1); the pinned packages need Python 3.11 or newer (set PYTHON)"
    echo "notebooks: creating venv $venv"
    rm -rf "$venv"  # a broken venv (e.g. its Python was removed), or nothing
    "$python" -m venv "$venv" || fail "could not create a venv with $python (on Debian/Ubuntu: apt-get install python3-venv)"
fi
stamp="$venv/.leadtune-requirements.sha256"
want="$("$venv/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read() + sys.version.encode()).hexdigest())' "$requirements")"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "notebooks: installing notebooks/requirements.txt into $venv"
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        -r "$requirements" || fail "pip install -r notebooks/requirements.txt failed"
    # A kernelspec inside the venv, so the notebooks run on this venv's Python whatever
    # kernels the user has installed elsewhere.
    "$venv/bin/python" -m ipykernel install --sys-prefix --name python3 \
        --display-name "Python 3 (leadtune notebooks)" >/dev/null
    printf '%s\n' "$want" >"$stamp"
else
    echo "notebooks: venv $venv is up to date"
fi

# --- execute -------------------------------------------------------------------------------
shopt -s nullglob
notebooks=("$root"/notebooks/*.ipynb)
shopt -u nullglob
((${#notebooks[@]})) || fail "no notebooks in $root/notebooks"
mkdir -p "$out"

export LEADTUNE_RUN="$run"
if [[ -n "$previous" ]]; then export LEADTUNE_PREVIOUS_CONFIG="$previous"; else unset LEADTUNE_PREVIOUS_CONFIG; fi
if [[ -n "$inputs" ]]; then export LEADTUNE_INPUTS="$inputs"; else unset LEADTUNE_INPUTS; fi
# Kernels from the venv first; no user IPython profile or startup files in the way.
export JUPYTER_PATH="$venv/share/jupyter"
export JUPYTER_PLATFORM_DIRS=1
export IPYTHONDIR="$venv/.ipython"
export MPLCONFIGDIR="$venv/.matplotlib"
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in notebooks/
export PYDEVD_DISABLE_FILE_VALIDATION=1

echo "notebooks: run $run${previous:+, previous config $previous}"
"$venv/bin/python" - "$timeout" "$out" "${notebooks[@]}" <<'PY'
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

timeout, out = int(sys.argv[1]), Path(sys.argv[2])
failed = []
for path in map(Path, sys.argv[3:]):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's working folder
        # The kernel listens on loopback only; its "TCP without encryption" warning is noise.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    started = time.monotonic()
    target = out / path.name
    try:
        client.execute()
        status = None
    except CellTimeoutError as e:
        status = f"a cell ran longer than {timeout} s (LEADTUNE_NOTEBOOK_TIMEOUT)\n{e}"
    except CellExecutionError as e:
        status = str(e)
    except DeadKernelError as e:
        status = f"the kernel died: {e}"
    finally:
        nbformat.write(nb, target)
    took = time.monotonic() - started
    if status is None:
        print(f"notebooks: {path.name} ok in {took:.1f} s -> {target}")
        continue
    status = re.sub(r"\x1b\[[0-9;]*m", "", status)  # no terminal colours in CI logs
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    bad = next((i for i in code_cells
                if any(o.get("output_type") == "error" for o in nb.cells[i].get("outputs", []))), None)
    if bad is not None:
        error = next(o for o in nb.cells[bad].outputs if o.get("output_type") == "error")
        first = (nb.cells[bad].source.strip().splitlines() or [""])[0]
        where = (f"cell {bad + 1} of {len(nb.cells)} (code cell {code_cells.index(bad) + 1}, "
                 f"starting {first[:60]!r}): {error.get('ename')}: {error.get('evalue')}")
    else:
        where = status.strip().splitlines()[-1] if status.strip() else "unknown error"
    print(f"notebooks: FAILED {path.name} after {took:.1f} s at {where}\n"
          f"notebooks: the executed copy up to the failure is {target}; details:\n{status}",
          file=sys.stderr)
    failed.append(path.name)
if failed:
    print(f"notebooks: {len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)
PY
