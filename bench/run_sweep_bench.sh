#!/usr/bin/env bash
# Sweep runner throughput: N small runs (the quickstart shortened, one seed each) as
#   (a) N bare `edgetwin run` processes one after another (the baseline),
#   (b) `edgetwin sweep -j 1`, (c) `edgetwin sweep -j 2`,
# all in this script on this machine. Prints the per-run overhead of the runner, (b - a) / N,
# and the speed-up of -j 2 over -j 1. Results: docs/sweeps.md.
#
#   bench/run_sweep_bench.sh [BUILD_DIR]     (default: build next to this script's parent)
#
# Environment: RUNS (default 200), BLOCK (runs per alternation block, default 20), DURATION_S
#              (simulated seconds per run, default 5),
#              TRACES (trace directory, default: edgetwin's default), WORK (default: a mktemp dir)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
edgetwin="$build/sim/cli/edgetwin"
[[ -x "$edgetwin" ]] || { echo "missing $edgetwin (ninja -C $build edgetwin)" >&2; exit 1; }
runs="${RUNS:-200}"
duration_s="${DURATION_S:-5}"
work="${WORK:-$(mktemp -d)}"
traces_args=()
[[ -n "${TRACES:-}" ]] && traces_args=(--traces "$TRACES")
mkdir -p "$work"

# The quickstart with a sweep of BLOCK seeds per block. The three ways alternate block by block
# (bare, -j 1, -j 2, bare, ...), so that a drift of the machine's speed over the minutes the
# bench takes (a shared VM) hits all three alike.
block="${BLOCK:-20}"
(( runs % block == 0 )) || { echo "RUNS must be a multiple of BLOCK ($block)" >&2; exit 2; }
blocks=$((runs / block))
for b in $(seq 0 $((blocks - 1))); do
  /usr/bin/python3 - "$here/../scenarios/quickstart.json" "$work/bench_$b.json" "$block" "$duration_s" "$b" <<'PY'
import json, sys
src, dst, n, duration, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
d = json.load(open(src))
d.pop("$schema", None)
d["name"] = "sweep_bench"
d["duration_s"] = duration
d["sweep"] = {"seeds": list(range(b * n + 1, b * n + n + 1))}
json.dump(d, open(dst, "w"), indent=2)
PY
done

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) runs=$runs block=$block duration_s=$duration_s load=$(load)"
bare=0 j1=0 j2=0
add() { /usr/bin/python3 -c "print($1 + $3 - $2)"; }
for b in $(seq 0 $((blocks - 1))); do
  t0="$(now)"
  for seed in $(seq $((b * block + 1)) $((b * block + block))); do
    "$edgetwin" run "$work/bench_$b.json" --seed "$seed" --quiet --out "$work/bare/$seed" "${traces_args[@]}" >/dev/null 2>&1
  done
  t1="$(now)"
  "$edgetwin" sweep "$work/bench_$b.json" -j 1 --db "$work/j1_$b.sqlite" --quiet "${traces_args[@]}" >/dev/null
  t2="$(now)"
  "$edgetwin" sweep "$work/bench_$b.json" -j 2 --db "$work/j2_$b.sqlite" --quiet "${traces_args[@]}" >/dev/null
  t3="$(now)"
  bare="$(add "$bare" "$t0" "$t1")"; j1="$(add "$j1" "$t1" "$t2")"; j2="$(add "$j2" "$t2" "$t3")"
done

/usr/bin/python3 - "$runs" "$bare" "$j1" "$j2" "$(load)" "$work" "$blocks" <<'PY'
import sqlite3, sys
runs = int(sys.argv[1]); bare, j1, j2 = map(float, sys.argv[2:5]); load_after = sys.argv[5]; work = sys.argv[6]
blocks = int(sys.argv[7])
for name in ("j1", "j2"):
    n = sum(sqlite3.connect(f"{work}/{name}_{b}.sqlite").execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()[0]
            for b in range(blocks))
    assert n == runs, f"{name}: only {n} of {runs} runs done"
print("| what | wall s | per run s |")
print("|---|---|---|")
print(f"| {runs} bare `edgetwin run`, sequential | {bare:.2f} | {bare / runs:.4f} |")
print(f"| `edgetwin sweep -j 1` | {j1:.2f} | {j1 / runs:.4f} |")
print(f"| `edgetwin sweep -j 2` | {j2:.2f} | {j2 / runs:.4f} |")
print(f"runner overhead per run (-j 1 minus bare): {(j1 - bare) / runs * 1e3:.1f} ms ({(j1 / bare - 1) * 100:.1f} %)")
print(f"speed-up -j 2 over -j 1: {j1 / j2:.2f}x (target >= 1.8); load average at the end {load_after}")
PY
[[ -n "${WORK:-}" ]] || rm -rf "$work"
