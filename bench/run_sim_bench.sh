#!/usr/bin/env bash
# Simulation throughput: EdgeTwin with the local-time fast path (default), EdgeTwin with every
# device on the per-activity path (--no-fast-path), and a bare SimGrid program doing the
# per-activity path's executions and transfers (edgetwin_bare_simgrid), one process per
# configuration, same engine options, each under /usr/bin/time -v (peak memory). Prints a
# markdown table; results: docs/performance.md.
#
#   bench/run_sim_bench.sh [BUILD_DIR]          (default: build-bench next to this script's parent)
#
# Environment:
#   SKIP_LARGEST=1     skip the 10,000-device case (the fast path's target: 600 s at 1 fps)
#   SLOW_LARGEST_S=S   simulated seconds of the per-activity run of the 10,000-device case, with a
#                      bare run of that length beside the full-length one (default 60: the full
#                      600 s took 6-10 min per-activity; 600 = the full case)
#   CLOUD=1            add a cloud_only case, 100 devices (upload, cloud execute, download per
#                      frame; one cloud GPU per 100 devices); CLOUD=2 adds 1,000 devices (minutes)
#   MODEL=..., BOARD=...   model and board (default mobilenet_v2 on xavier_nx)
#   ENGINE_ARGS="..."  extra SimGrid options for all programs (e.g. --cfg=contexts/stack-size:64)
#   ONLY=PATTERN       run only the cases whose name matches PATTERN (grep -E), e.g. ONLY=10000dev
#   QUEUE=1            also run the bare program with EdgeTwin's actor shape (source + controller
#                      per device, s4u mutex + condition variable per frame; edge_only cases)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build-bench}"
sim="$build/bench/edgetwin_sim_bench"
bare="$build/bench/edgetwin_bare_simgrid"
model="${MODEL:-mobilenet_v2}"
board="${BOARD:-xavier_nx}"
engine_args=(--log=root.thresh:critical ${ENGINE_ARGS:-})
for exe in "$sim" "$bare" /usr/bin/time; do
  [[ -x "$exe" ]] || { echo "missing $exe (ninja -C $build edgetwin_sim_bench edgetwin_bare_simgrid; apt install time)" >&2; exit 1; }
done
slow_largest="${SLOW_LARGEST_S:-60}"

# name devices fps duration placement [duration of the per-activity and bare runs]
cases=("1dev-30fps-1h 1 30 3600 edge_only"
       "100dev-1fps-600s 100 1 600 edge_only"
       "1000dev-1fps-600s 1000 1 600 edge_only")
[[ "${SKIP_LARGEST:-0}" == 1 ]] || cases+=("10000dev-1fps-600s 10000 1 600 edge_only $slow_largest")
[[ "${CLOUD:-0}" -ge 1 ]] && cases+=("100dev-1fps-600s-cloud 100 1 600 cloud_only")
[[ "${CLOUD:-0}" -ge 2 ]] && cases+=("1000dev-1fps-600s-cloud 1000 1 600 cloud_only")

if [[ -n "${ONLY:-}" ]]; then
  kept=()
  for c in "${cases[@]}"; do grep -qE -- "$ONLY" <<<"${c%% *}" && kept+=("$c"); done
  cases=("${kept[@]}")
fi

field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1"; }
timefile="$(mktemp)"
trap 'rm -f "$timefile"' EXIT
# Runs a command under /usr/bin/time -v; prints its RESULT line with time's figures appended.
timed() {
  local out
  out="$(/usr/bin/time -v -o "$timefile" "$@" | grep -E '^(RESULT|FRAME)')"
  local rss elapsed
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$timefile")"
  elapsed="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timefile")"
  echo "$out" | sed "s/^RESULT /RESULT max_rss_kb=$rss elapsed=$elapsed /"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) model=$model board=$board engine: ${engine_args[*]}"
printf '| case | impl | sim s | frames | engine activities | local activities | wall s | frames/s | max RSS MB (time -v) | load before | wall / bare |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for c in "${cases[@]}"; do
  read -r name devices fps duration placement slow_duration <<<"$c"
  slow_duration="${slow_duration:-$duration}"
  common=(--devices "$devices" --fps "$fps" --model "$model" --board "$board" --placement "$placement")
  load_fast="$(cut -d' ' -f1 /proc/loadavg)"
  out_fast="$(timed "$sim" "${common[@]}" --duration "$duration" "${engine_args[@]}")"
  frame="$(grep '^FRAME' <<<"$out_fast")"
  bare_args=(--devices "$devices" --fps "$fps" --placement "$placement"
             --edge-s "$(field " $frame" edge_s)" --cloud-s "$(field " $frame" cloud_s)"
             --up-bytes "$(field " $frame" up_bytes)" --down-bytes "$(field " $frame" down_bytes)")
  rows=("edgetwin-fast $duration $load_fast $(grep '^RESULT' <<<"$out_fast")")
  # The bare run of the same duration first: the fast path's ratio is against it.
  load_bare="$(cut -d' ' -f1 /proc/loadavg)"
  rows+=("bare $duration $load_bare $(timed "$bare" "${bare_args[@]}" --duration "$duration" "${engine_args[@]}")")
  if [[ $slow_duration != "$duration" ]]; then
    load_b2="$(cut -d' ' -f1 /proc/loadavg)"
    rows+=("bare $slow_duration $load_b2 $(timed "$bare" "${bare_args[@]}" --duration "$slow_duration" "${engine_args[@]}")")
  fi
  load_slow="$(cut -d' ' -f1 /proc/loadavg)"
  rows+=("edgetwin-activity $slow_duration $load_slow $(timed "$sim" "${common[@]}" --duration "$slow_duration" --no-fast-path "${engine_args[@]}" | grep '^RESULT')")
  if [[ "${QUEUE:-0}" == 1 && $placement == edge_only ]]; then
    load_queue="$(cut -d' ' -f1 /proc/loadavg)"
    rows+=("bare-queue $slow_duration $load_queue $(timed "$bare" --devices "$devices" --fps "$fps" --duration "$slow_duration" --shape queue --edge-s "$(field " $frame" edge_s)" "${engine_args[@]}")")
  fi
  # wall / bare: against the bare run of the same simulated duration.
  declare -A bare_wall=()
  for row in "${rows[@]}"; do
    read -r impl dur _ res <<<"$row"
    [[ $impl == bare ]] && bare_wall[$dur]="$(field " $res" wall_s)"
  done
  for row in "${rows[@]}"; do
    read -r impl dur ld res <<<"$row"
    res=" $res"
    local_acts="$(field "$res" local_activities)"
    awk -v name="$name" -v impl="$impl" -v s="$(field "$res" sim_s)" -v f="$(field "$res" frames)" \
        -v a="$(field "$res" activities)" -v l="${local_acts:--}" -v w="$(field "$res" wall_s)" \
        -v m="$(field "$res" max_rss_kb)" -v ld="$ld" -v b="${bare_wall[$dur]:-}" \
        'BEGIN{r = (b != "" && impl != "bare") ? sprintf("%.2f", w / b) : "";
               printf "| %s | %s | %.1f | %d | %d | %s | %.3f | %.0f | %.0f | %s | %s |\n",
               name, impl, s, f, a, l, w, f/w, m/1024, ld, r}'
  done
  unset bare_wall
  echo "<!-- $name: $(grep '^RESULT' <<<"$out_fast") $frame -->"
done
