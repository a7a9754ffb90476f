#!/usr/bin/env bash
# Sweep runner throughput: N small runs (the quickstart shortened, one seed each) as
#   (a) N bare `edgetwin run` processes one after another (the baseline),
#   (b) `edgetwin sweep -j 1`, (c) `edgetwin sweep -j 2`,
# all in this script on this machine. Prints the per-run overhead of the runner, (b - a) / N,
# and the speed-up of -j 2 over -j 1. Results: docs/sweeps.md.
#
#   bench/run_sweep_bench.sh [BUILD_DIR]     (default: build next to this script's parent)
#
# Environment: RUNS (default 200), DURATION_S (simulated seconds per run, default 5),
#              TRACES (trace directory, default: edgetwin's default), WORK (default: a mktemp dir)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
edgetwin="$build/sim/edgetwin"
[[ -x "$edgetwin" ]] || { echo "missing $edgetwin (ninja -C $build edgetwin)" >&2; exit 1; }
runs="${RUNS:-200}"
duration_s="${DURATION_S:-5}"
work="${WORK:-$(mktemp -d)}"
traces_args=()
[[ -n "${TRACES:-}" ]] && traces_args=(--traces "$TRACES")
mkdir -p "$work"

# The quickstart with a sweep of RUNS seeds.
/usr/bin/python3 - "$here/../scenarios/quickstart.json" "$work/bench.json" "$runs" "$duration_s" <<'PY'
import json, os, sys
src, dst, runs, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
d = json.load(open(src))
d.pop("$schema", None)
d["name"] = "sweep_bench"
d["duration_s"] = duration
d["sweep"] = {"seeds": list(range(1, runs + 1))}
json.dump(d, open(dst, "w"), indent=2)
PY

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) runs=$runs duration_s=$duration_s"
load_a="$(load)"
t0="$(now)"
for seed in $(seq 1 "$runs"); do
  "$edgetwin" run "$work/bench.json" --seed "$seed" --quiet --out "$work/bare/$seed" "${traces_args[@]}" >/dev/null 2>&1
done
t1="$(now)"
load_b="$(load)"
"$edgetwin" sweep "$work/bench.json" -j 1 --db "$work/j1.sqlite" --quiet "${traces_args[@]}" >/dev/null
t2="$(now)"
load_c="$(load)"
"$edgetwin" sweep "$work/bench.json" -j 2 --db "$work/j2.sqlite" --quiet "${traces_args[@]}" >/dev/null
t3="$(now)"

/usr/bin/python3 - "$runs" "$t0" "$t1" "$t2" "$t3" "$load_a" "$load_b" "$load_c" "$work" <<'PY'
import sqlite3, sys
runs = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:6]); la, lb, lc = sys.argv[6:9]; work = sys.argv[9]
bare, j1, j2 = t1 - t0, t2 - t1, t3 - t2
for name in ("j1", "j2"):
    n = sqlite3.connect(f"{work}/{name}.sqlite").execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()[0]
    assert n == runs, f"{name}: only {n} of {runs} runs done"
print("| what | wall s | per run s | load before |")
print("|---|---|---|---|")
print(f"| {runs} bare `edgetwin run`, sequential | {bare:.2f} | {bare / runs:.4f} | {la} |")
print(f"| `edgetwin sweep -j 1` | {j1:.2f} | {j1 / runs:.4f} | {lb} |")
print(f"| `edgetwin sweep -j 2` | {j2:.2f} | {j2 / runs:.4f} | {lc} |")
print(f"runner overhead per run (-j 1 minus bare): {(j1 - bare) / runs * 1e3:.1f} ms ({(j1 / bare - 1) * 100:.1f} %)")
print(f"speed-up -j 2 over -j 1: {j1 / j2:.2f}x (target >= 1.8)")
PY
[[ -n "${WORK:-}" ]] || rm -rf "$work"
