#!/usr/bin/env bash
# Offload-heavy fleet (issue 15 item 5): `edgetwin run bench/scenarios/offload_fleet.json` beside a
# bare SimGrid program doing the same transfers and executions (edgetwin_bare_simgrid --placement
# split), one process after the other in the same run, each under /usr/bin/time -v. Prints a
# markdown table; results: docs/performance.md "Offload-heavy fleets".
#
#   bench/run_offload_bench.sh [BUILD_DIR]      (default: build-ci next to this script's parent)
#
# Environment:
#   DEVICES=N        devices (default 1000: the issue's fleet)
#   DURATION=S       simulated seconds (default 600)
#   WAN_BPS=B        WAN bandwidth, bit/s, for both programs (default 10e9, the scenario's; the
#                    10,000-device fleet needs 1e11 for its access links not to fill the WAN)
#   SET="..."        extra `edgetwin run` overrides, e.g. SET="/platform/wan/sharing=shared"
#   EDGETWIN_ARGS=.. extra `edgetwin run` arguments (e.g. --no-fast-path)
#   SKIP_BARE=1      only the EdgeTwin run
#   TRACES=DIR       trace directory (default: xavier_nx and rtx3080 MobileNet-v2 traces generated
#                    into a temporary directory first, about 1 s)
#
# The bare rows: "bare" = the device part as an execute, then upload, cloud execute, download
# (4 engine activities per frame, the per-activity path's count); "bare-offload" = without the
# device part (3 per frame: the engine activities EdgeTwin's fast path issues); "…/per-device-wan"
# = the same with the WAN as a separate link per device (EdgeTwin's "wan": {"sharing": "fatpipe"});
# "…/mailbox" = that with the transfers as mailbox communications to a second actor per device on
# its cloud host (as EdgeTwin's offloads since SimGrid 3.32's Comm::sendto cost, docs/performance.md).
# Frame costs for the bare program come from `edgetwin traces inspect` (per-unit latencies at the
# clocks the run uses, printed to the microsecond).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build-ci}"
edgetwin="$build/sim/cli/edgetwin"
bare="$build/bench/edgetwin_bare_simgrid"
scenario="$here/scenarios/offload_fleet.json"
devices="${DEVICES:-1000}"
duration="${DURATION:-600}"
for exe in "$edgetwin" "$bare" /usr/bin/time; do
  [[ -x "$exe" ]] || { echo "missing $exe (cmake --build $build --target edgetwin edgetwin_bare_simgrid; apt install time)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
traces="${TRACES:-$work/traces}"
if [[ -z "${TRACES:-}" ]]; then
  "$edgetwin" traces generate --out "$traces" --board xavier_nx --board rtx3080 --model mobilenet_v2 --quiet >/dev/null
fi

# Per-unit latencies (ms) of MobileNet-v2: units 0..9 on the Xavier NX at its run clocks, units
# 10..19 on the RTX 3080 at its maximum clocks (the cloud server's).
unit_ms() { "$edgetwin" traces inspect --traces "$traces" --board "$1" --model mobilenet_v2 | awk -v a="$2" -v b="$3" \
  '$1 ~ /^[0-9]+$/ && $1 >= a && $1 <= b { s += $3 } END { printf "%.9f", s / 1000 }'; }
edge_s="$(unit_ms xavier_nx 0 9)"
cloud_s="$(unit_ms rtx3080 10 19)"
up_bytes=$((12544 * 4))   # boundary elements after features.9, fp32
down_bytes=$((1000 * 4))  # the head's 1000 class scores

timefile="$work/time"
rss_mb() { awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$timefile"; }
elapsed() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$timefile"; }
cpu_s() { awk '/User time|System time/ { s += $NF } END { printf "%.2f", s }' "$timefile"; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) devices=$devices duration=$duration edge_s=$edge_s cloud_s=$cloud_s up=$up_bytes down=$down_bytes"
printf '| impl | requests | engine activities | wall s (run) | elapsed (process) | CPU s (user+sys) | max RSS MB | load before | wall / bare-offload | CPU / bare-offload |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'

wan_bps="${WAN_BPS:-10e9}"
sets=(--set "/platform/groups/0/count=$devices" --set "/duration_s=$duration" --set "/platform/wan/bandwidth_bps=$wan_bps")
for s in ${SET:-}; do sets+=(--set "$s"); done
load="$(cut -d' ' -f1 /proc/loadavg)"
out="$(/usr/bin/time -v -o "$timefile" "$edgetwin" run "$scenario" --traces "$traces" --out "$work/run" --quiet \
       "${sets[@]}" ${EDGETWIN_ARGS:-} 2>&1)"
line="$(grep '^simulated' <<<"$out")"
et_wall="$(sed -n 's/.* in \([0-9.]*\) s wall.*/\1/p' <<<"$line")"
et_req="$(sed -n 's/.*wall: \([0-9]*\) requests.*/\1/p' <<<"$line")"
rows=("edgetwin|$et_req|-|$et_wall|$(elapsed)|$(cpu_s)|$(rss_mb)|$load")

bare_wall=""
bare_cpu=""
if [[ "${SKIP_BARE:-0}" != 1 ]]; then
  common=(--devices "$devices" --fps 1 --duration "$duration" --placement split --clouds 10
          --cloud-s "$cloud_s" --up-bytes "$up_bytes" --down-bytes "$down_bytes"
          --access-bps 8e6 --access-latency 0.005 --wan-bps "$wan_bps" --wan-latency 0.02 --log=root.thresh:critical)
  for variant in "bare|$edge_s|shared|sendto" "bare-offload|0|shared|sendto" \
                 "bare-offload/per-device-wan|0|per-device|sendto" "bare-offload/per-device-wan/mailbox|0|per-device|mailbox"; do
    IFS='|' read -r name e wan comm <<<"$variant"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    res="$(/usr/bin/time -v -o "$timefile" "$bare" "${common[@]}" --edge-s "$e" --wan "$wan" --comm "$comm")"
    w="$(sed -n 's/.* wall_s=\([0-9.]*\).*/\1/p' <<<"$res")"
    f="$(sed -n 's/.* frames=\([0-9]*\).*/\1/p' <<<"$res")"
    a="$(sed -n 's/.* activities=\([0-9]*\).*/\1/p' <<<"$res")"
    [[ $name == bare-offload ]] && bare_wall="$w" && bare_cpu="$(cpu_s)"
    rows+=("$name|$f|$a|$w|$(elapsed)|$(cpu_s)|$(rss_mb)|$load")
  done
fi
for row in "${rows[@]}"; do
  IFS='|' read -r name f a w el c m ld <<<"$row"
  ratio="" cratio=""
  if [[ -n $bare_wall && $name != bare* ]]; then
    ratio="$(awk -v w="$w" -v b="$bare_wall" 'BEGIN { printf "%.2f", w / b }')"
    cratio="$(awk -v w="$c" -v b="$bare_cpu" 'BEGIN { printf "%.2f", w / b }')"
  fi
  echo "| $name | $f | $a | $w | $el | $c | $m | $ld | $ratio | $cratio |"
done
