#!/usr/bin/env bash
# Large fleets on one machine (docs/performance.md, "Large fleets"): `edgetwin run` of
# bench/fleet.json (N Xavier NX cameras, one MobileNet-v2 video at 1 fps each, edge-only at max
# clocks, no CSV outputs, one RTX 3080 in the cloud that nothing uses) with default settings,
# built from a baseline commit and from this one, side by side in one run, each under
# /usr/bin/time (wall time and peak RSS). Prints a markdown table with the ratios to the baseline
# and whether both wrote the same summary.json.
#
#   bench/run_fleet_bench.sh BASE_EDGETWIN NEW_EDGETWIN
#
# BASE_EDGETWIN and NEW_EDGETWIN are `edgetwin` executables, e.g. the baseline from
#   git worktree add /tmp/base <commit>; cmake -S /tmp/base --preset ci; \
#     cmake --build /tmp/base/build-ci --target edgetwin      (-> /tmp/base/build-ci/sim/cli/edgetwin)
# The traces are generated once by NEW_EDGETWIN (SYNTHETIC, calibrated) into a temporary folder.
#
# Environment:
#   CASES="N:S ..."   devices:simulated seconds (default "10000:600 100000:60 100000:600")
#   BASE_MAX_FRAMES=F the baseline runs only cases of at most F frames (default 10000000): before
#                     the compact record tally a run kept every request record (about 220 B
#                     each), 100,000 devices x 600 s = 60 M records, more memory than most machines
#                     have; 0 = no limit
set -euo pipefail
base="${1:?usage: run_fleet_bench.sh BASE_EDGETWIN NEW_EDGETWIN}"
new="${2:?usage: run_fleet_bench.sh BASE_EDGETWIN NEW_EDGETWIN}"
here="$(cd "$(dirname "$0")" && pwd)"
scenario="$here/fleet.json"
cases=(${CASES:-10000:600 100000:60 100000:600})
base_max="${BASE_MAX_FRAMES:-10000000}"
for exe in "$base" "$new" /usr/bin/time; do
  [[ -x "$exe" ]] || { echo "missing $exe" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$new" traces generate --out "$work/traces" --board xavier_nx --board rtx3080 --model mobilenet_v2 --quiet >/dev/null

# Runs one case; prints "wall_s rss_kb load_before".
run() {
  local exe="$1" devices="$2" duration="$3" out="$4"
  local load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f "%e %M" -o "$work/time" "$exe" run "$scenario" --traces "$work/traces" --out "$out" --quiet \
    --set /platform/groups/0/count="$devices" --set /duration_s="$duration" >/dev/null 2>>"$work/stderr"
  echo "$(cat "$work/time") $load"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n) nproc=$(nproc) mem=$(free -g | awk '/Mem:/{print $2}')G"
echo "# base: $base"
echo "# new:  $new"
echo "| devices x simulated s | frames | impl | wall s | peak RSS MB | load before | wall / base | RSS / base | same summary.json |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  devices="${c%%:*}"
  duration="${c##*:}"
  frames=$((devices * duration))
  name="$devices x $duration"
  read -r new_wall new_rss new_load <<<"$(run "$new" "$devices" "$duration" "$work/new")"
  if [[ "$base_max" == 0 || "$frames" -le "$base_max" ]]; then
    read -r base_wall base_rss base_load <<<"$(run "$base" "$devices" "$duration" "$work/base")"
    same=no
    cmp -s "$work/base/summary.json" "$work/new/summary.json" && same=yes
    awk -v n="$name" -v f="$frames" -v w="$base_wall" -v r="$base_rss" -v l="$base_load" \
      'BEGIN{printf "| %s | %d | base | %.1f | %.0f | %s | | | |\n", n, f, w, r / 1024, l}'
    awk -v n="$name" -v f="$frames" -v w="$new_wall" -v r="$new_rss" -v l="$new_load" -v bw="$base_wall" \
        -v br="$base_rss" -v s="$same" \
      'BEGIN{printf "| %s | %d | new | %.1f | %.0f | %s | %.2f | %.2f | %s |\n", n, f, w, r / 1024, l, w / bw, r / br, s}'
  else
    awk -v n="$name" -v f="$frames" -v w="$new_wall" -v r="$new_rss" -v l="$new_load" \
      'BEGIN{printf "| %s | %d | new | %.1f | %.0f | %s | (base not run: BASE_MAX_FRAMES) | | |\n", n, f, w, r / 1024, l}'
  fi
  rm -rf "$work/base" "$work/new"
done
