#!/usr/bin/env bash
# Cost of the decision interface (docs/performance.md, "Decision interface"): the same simulation
# benchmark (edgetwin_sim_bench) built from a baseline commit and from this one, run alternately in
# one script, plus this one with outcomes on for every request (--outcomes). Prints a markdown
# table with the wall time, the peak memory and their ratios to the baseline.
#
#   bench/run_decision_bench.sh BASE_BUILD NEW_BUILD [REPEATS]
#
# BASE_BUILD and NEW_BUILD are Release build trees with the target edgetwin_sim_bench, e.g.
#   git worktree add /tmp/base <commit>; cmake -S /tmp/base -B /tmp/base/build-bench -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release; cmake --build /tmp/base/build-bench --target edgetwin_sim_bench
# (the baseline needs no --outcomes: it is run without). Each case runs REPEATS times (default 3);
# the table shows the fastest run of each (the least disturbed by other work on the machine).
set -euo pipefail
base="${1:?usage: run_decision_bench.sh BASE_BUILD NEW_BUILD [REPEATS]}"
new="${2:?usage: run_decision_bench.sh BASE_BUILD NEW_BUILD [REPEATS]}"
repeats="${3:-3}"
for b in "$base" "$new"; do
  [[ -x "$b/bench/edgetwin_sim_bench" ]] || { echo "missing $b/bench/edgetwin_sim_bench" >&2; exit 1; }
done
timefile="$(mktemp)"
trap 'rm -f "$timefile"' EXIT
# prints "wall_s rss_kb" of one run
run() {
  local exe="$1"; shift
  local wall
  wall="$(/usr/bin/time -f "%M" -o "$timefile" "$exe" "$@" --log=root.thresh:critical | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')"
  echo "$wall $(tail -1 "$timefile")"
}
cases=("1 30 3600" "10000 1 600")
echo "| case | impl | wall_s (best of $repeats) | peak RSS MB | wall / baseline | RSS / baseline |"
echo "|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  read -r devices fps duration <<<"$c"
  args=(--devices "$devices" --fps "$fps" --duration "$duration")
  declare -A best_wall=() best_rss=()
  for ((r = 0; r < repeats; ++r)); do
    for impl in baseline new new+outcomes; do
      case "$impl" in
        baseline) out="$(run "$base/bench/edgetwin_sim_bench" "${args[@]}")" ;;
        new) out="$(run "$new/bench/edgetwin_sim_bench" "${args[@]}")" ;;
        new+outcomes) out="$(run "$new/bench/edgetwin_sim_bench" "${args[@]}" --outcomes)" ;;
      esac
      read -r wall rss <<<"$out"
      if [[ -z "${best_wall[$impl]:-}" ]] || awk -v a="$wall" -v b="${best_wall[$impl]}" 'BEGIN{exit !(a < b)}'; then
        best_wall[$impl]="$wall"
      fi
      if [[ -z "${best_rss[$impl]:-}" ]] || ((rss < best_rss[$impl])); then best_rss[$impl]="$rss"; fi
    done
  done
  for impl in baseline new new+outcomes; do
    awk -v c="$devices dev x $fps fps x $duration s" -v i="$impl" -v w="${best_wall[$impl]}" -v m="${best_rss[$impl]}" \
        -v bw="${best_wall[baseline]}" -v bm="${best_rss[baseline]}" \
        'BEGIN{printf "| %s | %s | %.3f | %.0f | %.2f | %.2f |\n", c, i, w, m/1024, w/bw, m/bm}'
  done
  unset best_wall best_rss
done
