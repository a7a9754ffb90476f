#!/usr/bin/env bash
# One scenario sharded over MPI ranks on this machine (docs/performance.md "Sharding"):
# `mpirun -np K edgetwin run FILE --mpi`, the scale issue's fleet (scenarios/quickstart.json
# reduced to one MobileNet-v2 video at 1 fps per Xavier NX device, edge-only, no cloud, no CSV
# outputs). Beside it, in the same script, the baseline: one shard of the same split run alone
# (`edgetwin run --shard 0/K`, no MPI), which is what each rank does. Prints per rank the wall
# time and peak memory (each rank's shard process, from getrusage of the child), their sum (an
# upper bound of the job's total: the shards peak together at their end), and the ratios
# against the lone shard. Results: docs/performance.md.
#
#   bench/run_mpi_bench.sh [BUILD_DIR] [DEVICES] [DURATION_S] [RANKS]
#       (defaults: build-bench, 1000000 devices, 60 s, 10 ranks)
#
# Environment: TRACES=DIR (default BUILD_DIR/tests/generated, else `edgetwin traces generate`
# into a temporary folder), MPIEXEC (default mpirun), SKIP_BASELINE=1.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build-bench}"
devices="${2:-1000000}"
duration="${3:-60}"
ranks="${4:-10}"
edgetwin="$build/sim/cli/edgetwin"
mpiexec="${MPIEXEC:-mpirun}"
for exe in "$edgetwin" "$build/sim/sweep/mpi/edgetwin-mpi" /usr/bin/time; do
  [[ -x "$exe" ]] || { echo "missing $exe (cmake --build $build; apt install time libopenmpi-dev)" >&2; exit 1; }
done
work="$(mktemp -d /tmp/edgetwin-mpi-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
traces="${TRACES:-$build/tests/generated}"
if [[ ! -f "$traces/xavier_nx/mobilenet_v2.pytorch.fp32.csv" ]]; then
  traces="$work/traces"
  "$edgetwin" traces generate --out "$traces" --board xavier_nx --model mobilenet_v2 >/dev/null
fi
fleet=(--set "/platform/groups/0/count=$devices" --set "/duration_s=$duration"
       --set '/platform/groups/0/models=["mobilenet_v2"]' --set '/platform/clouds=[]'
       --set '/workloads/requests=[]' --set /workloads/videos/0/fps=1
       --set /outputs/requests_csv=false --set /outputs/timeline_csv=false --traces "$traces" --quiet)
scenario="$here/../scenarios/quickstart.json"

echo "# $devices devices x $duration s at 1 fps over $ranks MPI ranks ($(nproc) cores), $(date -u +%FT%TZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "${SKIP_BASELINE:-0}" != 1 ]]; then
  /usr/bin/time -f "%e %M" -o "$work/base.time" "$edgetwin" run "$scenario" "${fleet[@]}" --shard "0/$ranks" \
    --out "$work/base" >/dev/null
  read -r base_wall base_kb <"$work/base.time"
  echo "baseline: shard 0/$ranks alone: $base_wall s wall, $((base_kb / 1024)) MB peak"
fi
start=$(date +%s.%N)
"$mpiexec" --allow-run-as-root --oversubscribe -np "$ranks" "$edgetwin" run "$scenario" "${fleet[@]}" --mpi \
  --out "$work/mpi" | tee "$work/mpi.log"
wall=$(echo "$(date +%s.%N) - $start" | bc)
echo
echo "| ranks | devices per rank | job wall s | slowest rank s | peak MB per rank (max) | sum of rank peaks MB | requests |"
echo "|---|---|---|---|---|---|---|"
/usr/bin/python3 - "$work/mpi.log" "$work/mpi/summary.json" "$ranks" "$devices" "$wall" "${base_wall:-}" "${base_kb:-}" <<'PY'
import json, re, sys
log, summary, ranks, devices, wall, base_wall, base_kb = sys.argv[1:8]
rows = [(float(w), int(m)) for w, m in re.findall(r"done in ([0-9.]+) s wall, peak memory ([0-9]+) MB", open(log).read())]
assert len(rows) == int(ranks), f"{len(rows)} of {ranks} ranks reported"
s = json.load(open(summary))["overall"]
slowest = max(w for w, _ in rows)
print(f"| {ranks} | {int(devices) // int(ranks)} | {float(wall):.1f} | {slowest:.1f} | {max(m for _, m in rows)} | "
      f"{sum(m for _, m in rows)} | {s['requests_completed']} |")
if base_wall:
    print(f"\nslowest rank / lone shard: {slowest / float(base_wall):.2f}x wall; "
          f"largest rank peak / lone shard: {max(m for _, m in rows) / (int(base_kb) / 1024):.2f}x memory")
print(f"target: 24 GB in total; sum of rank peaks / 24 GB = {sum(m for _, m in rows) / 24576:.2f}")
PY
