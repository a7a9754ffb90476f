#!/usr/bin/env bash
# Evaluation runs with --checkpoint: torch-free (the default: greedy.json in the simulator's process)
# against the libtorch checkpoint server (--checkpoint-server), alternating, REPEATS times each, on
# a 60-s zTT scenario; prints each wall time and the ratio of the medians. Trains a short zTT
# checkpoint first (4 episodes of 30 s) unless CHECKPOINT is given.
#   bench/run_eval_bench.sh BUILD_DIR [REPEATS] [CHECKPOINT]
set -euo pipefail
build="${1:?usage: bench/run_eval_bench.sh BUILD_DIR [REPEATS] [CHECKPOINT]}"
repeats="${2:-5}"
checkpoint="${3:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
edgetwin="$build/sim/cli/edgetwin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
traces="$work/traces"
"$edgetwin" traces generate --out "$traces" --board tx2 --model yolov8n --quiet >/dev/null
if [ -z "$checkpoint" ]; then
  "$edgetwin" train "$root/scenarios/ztt/train.json" --traces "$traces" --out "$work/train" --episodes 4 \
    --eval-every 0 --set /duration_s=30 --quiet >/dev/null
  checkpoint="$work/train"
fi
run() {
  local start end
  start=$(date +%s.%N)
  "$edgetwin" run "$root/scenarios/ztt/train.json" --traces "$traces" --checkpoint "$checkpoint" --set /duration_s=60 \
    --quiet --out "$work/run" "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
free=(); server=()
for _ in $(seq "$repeats"); do
  free+=("$(run)")
  server+=("$(run --checkpoint-server)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "torch-free [s]:        ${free[*]}"
echo "checkpoint server [s]: ${server[*]}"
mf=$(median "${free[@]}"); ms=$(median "${server[@]}")
echo "median torch-free $mf s, server $ms s: $(echo "scale=2; $ms / $mf" | bc)x faster"
