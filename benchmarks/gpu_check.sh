#!/usr/bin/env bash
# One prepared GPU run of envtool, for a machine that reaches no package index (an H200 with
# torch, transformers and nvidia-ml-py in /opt/torch/.venv). Run from anywhere; it works on the
# checkout it sits in:
#
#   benchmarks/gpu_wheels.sh            # beforehand, on a machine with the index: fills ./gpu-wheels
#   OUT=/some/dir benchmarks/gpu_check.sh
#
# It installs envtool's pure-Python dependencies the GPU python lacks from the wheel folder with
# --no-index into a private folder, then runs envtool from the checkout in that python, each step
# bounded in time (under 8 minutes in all):
#   envtool detect --deep --json                      -> detect.json
#   envtool bench --json (auto: BERT-base, S=128)     -> bench-auto.json
#   envtool bench --precision bf16 --compile --json   -> bench-bf16-compile.json
#   envtool bench --precision bf16 --no-compile --json -> bench-bf16-eager.json
#   envtool checklist --json                          -> checklist.json
# with every command's stderr and a summary in gpu_check.log, all in $OUT (default ./gpu-check-out).
#
# Settings (environment):
#   GPU_CHECK_PYTHON  the python with torch (default /opt/torch/.venv/bin/python3)
#   GPU_CHECK_WHEELS  the wheel folder (default <checkout>/gpu-wheels)
#   GPU_CHECK_QUICK=1 a dry pass on a CPU machine: BERT-tiny, a few steps, checks the plumbing only
# Exit status: 0 when every step produced its JSON, 1 otherwise (see gpu_check.log).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$ROOT/gpu-check-out}"
PY="${GPU_CHECK_PYTHON:-/opt/torch/.venv/bin/python3}"
WHEELS="${GPU_CHECK_WHEELS:-$ROOT/gpu-wheels}"
QUICK="${GPU_CHECK_QUICK:-0}"
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
: >"$LOG"
START=$(date +%s)

log() { echo "[$(($(date +%s) - START))s] $*" | tee -a "$LOG" >&2; }

if [ ! -x "$PY" ]; then
    log "no python at $PY: set GPU_CHECK_PYTHON to the python that holds torch"
    exit 1
fi

# envtool runs from the checkout in the GPU python itself; the dependencies it lacks go into a
# private folder put on PYTHONPATH (not a venv: one made from a venv's python would not see that
# venv's torch), outside $OUT, whose files travel back.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/envtool-gpu-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DEPS="$WORK/site"
mkdir -p "$DEPS"
log "python $PY ($("$PY" -c 'import sys; print(sys.version.split()[0])'))"
missing=$("$PY" - <<'EOF'
import importlib.util
import sys
need = {"rich": "rich", "psutil": "psutil", "packaging": "packaging", "pynvml": "nvidia-ml-py"}
if sys.version_info < (3, 11):
    need["tomli"] = "tomli"
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
EOF
)
if [ -n "$missing" ]; then
    if [ ! -d "$WHEELS" ]; then
        log "missing $missing and no wheel folder at $WHEELS: run benchmarks/gpu_wheels.sh where the index is reachable"
        exit 1
    fi
    log "installing $missing from $WHEELS (--no-index) into $DEPS"
    # shellcheck disable=SC2086 # one word per package
    if ! "$PY" -m pip install -q --no-index --find-links "$WHEELS" --target "$DEPS" $missing >>"$LOG" 2>&1; then
        # No pip in that python: a wheel is a zip archive laid out for sys.path.
        log "pip failed or is absent: unpacking the wheels instead"
        # shellcheck disable=SC2086
        "$PY" - "$WHEELS" "$DEPS" $missing >>"$LOG" 2>&1 <<'EOF' || { log "unpacking failed"; exit 1; }
import pathlib, re, sys, zipfile
wheels, dest, wanted = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
# rich needs markdown-it-py, mdurl and pygments: take every wanted wheel and those.
names = {re.sub(r"[-_.]+", "_", w).lower() for w in wanted} | {"markdown_it_py", "mdurl", "pygments"}
for whl in sorted(wheels.glob("*.whl")):
    if re.sub(r"[-_.]+", "_", whl.name.split("-")[0]).lower() in names:
        zipfile.ZipFile(whl).extractall(dest)
        print("unpacked", whl.name)
EOF
    fi
fi
VPY="$PY"
export PYTHONPATH="$ROOT:$DEPS${PYTHONPATH:+:$PYTHONPATH}"
# A cold Inductor cache of its own, so the compile time measured is the one a user meets first.
export TORCHINDUCTOR_CACHE_DIR="$WORK/inductor"

if [ "$QUICK" = 1 ]; then
    BENCH=(--model tiny --steps 3 --warmup 1 --batch-size 8)
else
    BENCH=()
fi

failed=0
# step NAME SECONDS ARGS...: run `envtool ARGS --json` within SECONDS, the JSON to NAME.json.
step() {
    local name=$1 secs=$2
    shift 2
    log "envtool $* (at most ${secs} s)"
    local t0=$(date +%s)
    timeout --kill-after=10 "$secs" "$VPY" -m envtool.cli "$@" --json >"$OUT/$name.json" 2>>"$LOG"
    local rc=$?
    log "  -> exit $rc in $(($(date +%s) - t0)) s, $OUT/$name.json ($(wc -c <"$OUT/$name.json") bytes)"
    if [ "$rc" -ge 124 ] || ! "$VPY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT/$name.json" 2>>"$LOG"; then
        failed=1
        log "  !! $name gave no JSON (exit $rc)"
    fi
    return 0
}

# Budgets (seconds, 475 in all): the auto run compiles cold; the bf16 compiled run finds the
# kernels of the same graph in the cache when auto chose bf16 (it does on compute capability >= 8.0).
step detect 45 detect --deep --python "$PY"
step bench-auto 180 bench --python "$PY" --no-save --timeout 170 "${BENCH[@]}"
step bench-bf16-compile 90 bench --python "$PY" --no-save --timeout 80 --precision bf16 --compile "${BENCH[@]}"
step bench-bf16-eager 60 bench --python "$PY" --no-save --timeout 50 --precision bf16 --no-compile "${BENCH[@]}"
step checklist 100 checklist --python "$PY"

# The headline figures, from the JSON, into the log.
"$VPY" - "$OUT" >>"$LOG" 2>&1 <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
for name in ("bench-auto", "bench-bf16-compile", "bench-bf16-eager"):
    try:
        env = json.loads((out / f"{name}.json").read_text())
    except (OSError, ValueError):
        print(f"{name}: no JSON")
        continue
    r, v = env["data"].get("result") or {}, env["data"].get("verdict") or {}
    if not r.get("ok"):
        print(f"{name}: failed: {r.get('error')}")
        continue
    mfu = f"{v['mfu']:.1%}" if v.get("mfu") is not None else "n/a"
    print(
        f"{name}: {r.get('device_name')} BERT-{(r.get('model') or {}).get('name')} B={r.get('batch_size')} "
        f"S={r.get('seq_len')} {r.get('precision')} compile={r.get('compile')}: {r.get('samples_per_s', 0):.1f} "
        f"samples/s, {r.get('tflops', 0):.1f} TFLOP/s, MFU {mfu}, verdict {v.get('status')}; "
        f"probes {r.get('gemm_probes')}; compile_s {r.get('compile_s')}, eager_step_s {r.get('eager_step_s')}"
    )
    for c in r.get("choices") or []:
        print(f"  chose {c['what']} = {c['chosen']}: {c['why']}")
EOF
log "done in $(($(date +%s) - START)) s; failed=$failed"
exit "$failed"
