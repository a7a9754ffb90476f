#!/usr/bin/env bash
# Simulation throughput: EdgeTwin (edgetwin_sim_bench) against a bare SimGrid program doing the
# same executions and transfers (edgetwin_bare_simgrid), one process per configuration, same
# engine options. Prints a markdown table; results: docs/performance.md.
#
#   bench/run_sim_bench.sh [BUILD_DIR]          (default: build-bench next to this script's parent)
#
# Environment:
#   SKIP_LARGEST=1     skip the 10,000-device case (measured: 10.5 min EdgeTwin + 4.5 min bare)
#   CLOUD=1            add a cloud_only case, 100 devices (upload, cloud execute, download per
#                      frame; one cloud GPU per 100 devices); CLOUD=2 adds 1,000 devices (minutes)
#   MODEL=..., BOARD=...   model and board (default mobilenet_v2 on xavier_nx)
#   ENGINE_ARGS="..."  extra SimGrid options for both programs (e.g. --cfg=contexts/stack-size:64)
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
for exe in "$sim" "$bare"; do
  [[ -x "$exe" ]] || { echo "missing $exe (ninja -C $build edgetwin_sim_bench edgetwin_bare_simgrid)" >&2; exit 1; }
done

# name devices fps duration placement
cases=("1dev-30fps-1h 1 30 3600 edge_only"
       "100dev-1fps-600s 100 1 600 edge_only"
       "1000dev-1fps-600s 1000 1 600 edge_only")
[[ "${SKIP_LARGEST:-0}" == 1 ]] || cases+=("10000dev-1fps-600s 10000 1 600 edge_only")
[[ "${CLOUD:-0}" -ge 1 ]] && cases+=("100dev-1fps-600s-cloud 100 1 600 cloud_only")
[[ "${CLOUD:-0}" -ge 2 ]] && cases+=("1000dev-1fps-600s-cloud 1000 1 600 cloud_only")

field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) model=$model board=$board engine: ${engine_args[*]}"
printf '| case | impl | frames | activities | sim s | wall s | frames/s | activities/s | ns/activity | peak RSS MB | load before | EdgeTwin/bare per activity |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for c in "${cases[@]}"; do
  read -r name devices fps duration placement <<<"$c"
  load_sim="$(cut -d' ' -f1 /proc/loadavg)"
  out_sim="$("$sim" --devices "$devices" --fps "$fps" --duration "$duration" --model "$model" --board "$board" \
             --placement "$placement" "${engine_args[@]}")"
  res_sim="$(grep '^RESULT' <<<"$out_sim")"
  frame="$(grep '^FRAME' <<<"$out_sim")"
  load_bare="$(cut -d' ' -f1 /proc/loadavg)"
  res_bare="$("$bare" --devices "$devices" --fps "$fps" --duration "$duration" --placement "$placement" \
              --edge-s "$(field " $frame" edge_s)" --cloud-s "$(field " $frame" cloud_s)" \
              --up-bytes "$(field " $frame" up_bytes)" --down-bytes "$(field " $frame" down_bytes)" \
              "${engine_args[@]}" | grep '^RESULT')"
  ns_sim="$(awk -v w="$(field "$res_sim" wall_s)" -v a="$(field "$res_sim" activities)" 'BEGIN{printf "%.0f", w*1e9/a}')"
  ns_bare="$(awk -v w="$(field "$res_bare" wall_s)" -v a="$(field "$res_bare" activities)" 'BEGIN{printf "%.0f", w*1e9/a}')"
  ratio="$(awk -v s="$ns_sim" -v b="$ns_bare" 'BEGIN{printf "%.2f", s/b}')"
  impls=(edgetwin bare)
  if [[ "${QUEUE:-0}" == 1 && $placement == edge_only ]]; then
    load_queue="$(cut -d' ' -f1 /proc/loadavg)"
    res_queue="$("$bare" --devices "$devices" --fps "$fps" --duration "$duration" --shape queue \
                 --edge-s "$(field " $frame" edge_s)" "${engine_args[@]}" | grep '^RESULT')"
    ns_queue="$(awk -v w="$(field "$res_queue" wall_s)" -v a="$(field "$res_queue" activities)" 'BEGIN{printf "%.0f", w*1e9/a}')"
    impls+=(bare-queue)
  fi
  for impl in "${impls[@]}"; do
    if [[ $impl == edgetwin ]]; then r="$res_sim"; ns="$ns_sim"; ld="$load_sim"; rt="$ratio"
    elif [[ $impl == bare ]]; then r="$res_bare"; ns="$ns_bare"; ld="$load_bare"; rt=""
    else r="$res_queue"; ns="$ns_queue"; ld="$load_queue"; rt=""; fi
    awk -v name="$name" -v impl="$impl" -v f="$(field "$r" frames)" -v a="$(field "$r" activities)" \
        -v s="$(field "$r" sim_s)" -v w="$(field "$r" wall_s)" -v m="$(field "$r" peak_rss_mb)" -v ns="$ns" \
        -v ld="$ld" -v rt="$rt" \
        'BEGIN{printf "| %s | %s | %d | %d | %.1f | %.3f | %.0f | %.0f | %s | %.0f | %s | %s |\n",
               name, impl, f, a, s, w, f/w, a/w, ns, m, ld, rt}'
  done
  echo "<!-- $name: $res_sim setup_s (trace generation+fit, not in wall): $(field "$res_sim" setup_s); $frame -->"
done
