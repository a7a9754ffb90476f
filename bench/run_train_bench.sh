#!/usr/bin/env bash
# Training in the simulation, end to end (edgetwin train: simulator + agent socket + learner):
#   (a) decisions per wall second with learning on: zTT deciding every 10 ms of simulated time,
#       60 s per episode (about 6,000 decisions), 3 episodes, with its DQN and with the SAC variant;
#       with learning off: the same scenario evaluated greedily from the checkpoint
#       (`edgetwin run --checkpoint`, which includes starting edgetwin-learn: libtorch, ~0.7 s);
#   (b) simulated board-time per wall second of the default zTT training (scenarios/ztt/train.json,
#       1 decision per simulated second) against the same scenario run with the stock governors
#       (no agent) in this script: the ratio is the cost of learning in the loop.
# Results: docs/performance.md. Uses the build's generated traces unless TRACES is set.
#
#   bench/run_train_bench.sh [BUILD_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
edgetwin="$build/sim/cli/edgetwin"
[[ -x "$edgetwin" && -x "$build/policies/learn_process/edgetwin-learn" ]] || { echo "build edgetwin and edgetwin-learn in $build" >&2; exit 1; }
scenario="$here/../scenarios/ztt/train.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
traces=()
[[ -n "${TRACES:-}" ]] && traces=(--traces "$TRACES")
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) load=$(load)"

fast=(--set /duration_s=60 --set /platform/groups/0/policies/clocks/params/period_s=0.01)
sac=(--set '/platform/groups/0/policies/clocks/params/learner={"kind": "sac"}')
t0=$(now)
"$edgetwin" train "$scenario" --out "$work/fast" --episodes 3 --eval-every 0 --quiet "${fast[@]}" "${traces[@]}" >/dev/null
t1=$(now)
"$edgetwin" run "$scenario" --checkpoint "$work/fast/last" --out "$work/fast_eval" --quiet "${fast[@]}" "${traces[@]}" >/dev/null
t2=$(now)
"$edgetwin" train "$scenario" --out "$work/sac" --episodes 3 --eval-every 0 --quiet "${fast[@]}" "${sac[@]}" "${traces[@]}" >/dev/null
t2s=$(now)
"$edgetwin" run "$scenario" --checkpoint "$work/sac/last" --out "$work/sac_eval" --quiet "${fast[@]}" "${sac[@]}" "${traces[@]}" >/dev/null
t2e=$(now)
t3=$(now)
"$edgetwin" train "$scenario" --out "$work/ztt" --eval-every 0 --quiet "${traces[@]}" >/dev/null
t4=$(now)
for i in $(seq 1 30); do
  "$edgetwin" run "$scenario" --seed $((i + 1)) --out "$work/gov" --quiet "${traces[@]}" \
    --set '/platform/groups/0/policies/clocks={"name": "governors"}' >/dev/null
done
t5=$(now)
/usr/bin/python3 - "$work" "$t0" "$t1" "$t2" "$t4" "$t3" "$t5" "$(load)" "$t2s" "$t2e" <<'PY'
import csv, json, sys
work = sys.argv[1]; t0, t1, t2, t4, t3, t5 = map(float, sys.argv[2:8]); load_after = sys.argv[8]
t2s, t2e = float(sys.argv[9]), float(sys.argv[10])
for name, a, b, c in (("DQN (zTT)", t0, t1, t2), ("SAC (zTT variant)", t2, t2s, t2e)):
    folder = "fast" if name.startswith("DQN") else "sac"
    rows = list(csv.DictReader(open(f"{work}/{folder}/curve.csv")))
    decisions = sum(int(r["decisions"]) for r in rows)
    ev = json.load(open(f"{work}/{folder}_eval/summary.json"))
    eval_decisions = int(ev["simulated_end_s"] / 0.01)
    episode_wall = sum(float(r["wall_s"]) for r in rows)
    print(f"{name} learning on : {decisions} decisions in {b - a:.2f} s wall (3 episodes, whole command incl. edgetwin-learn start) = {decisions / (b - a):,.0f} decisions/s; "
          f"in the episodes' own {episode_wall:.2f} s (simulation + agent socket + learner) = {decisions / episode_wall:,.0f} decisions/s")
    print(f"{name} learning off: ~{eval_decisions} decisions in {c - b:.2f} s wall (one greedy run, incl. edgetwin-learn start) = {eval_decisions / (c - b):,.0f} decisions/s")
z = list(csv.DictReader(open(f"{work}/ztt/curve.csv")))
sim = sum(float(r["simulated_s"]) for r in z)
print(f"zTT training (30 episodes x 120 s): {sim:.0f} simulated s in {t4 - t3:.2f} s wall = {sim / (t4 - t3):.0f} simulated s per wall s")
print(f"governors, same 30 runs without an agent: {30 * 120} simulated s in {t5 - t4:.2f} s wall = {30 * 120 / (t5 - t4):.0f} simulated s per wall s")
print(f"cost of learning in the loop: {(t4 - t3) / (t5 - t4):.2f}x the wall time of the governors' runs; load after {load_after}")
PY
