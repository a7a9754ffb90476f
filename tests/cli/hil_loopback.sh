#!/usr/bin/env bash
# The whole board chain over loopback against a fake Xavier NX (docs/hil.md):
#   0. without a daemon, a run with a hil group fails at once (exit code 1);
#   1. edgetwin run scenarios/hil/loopback.json with its hil group served by edgetwin-boardd;
#   2. edgetwin profile writes a measured trace that `traces validate` accepts and that a scenario
#      loads through an overlay directory (--base);
#   3. killing the daemon mid-run ends the run with exit code 1 and a clear error, keeping the
#      requests finished so far.
#   4. with --executor, the daemon runs the units with libtorch (edgetwin-executor, RANDOM weights).
# usage: hil_loopback.sh EDGETWIN BOARDD EXECUTOR SOURCE_DIR TRACES_DIR WORK_DIR
# The daemon binds a free loopback port; step 0 uses one nothing listens on (from the first start).
set -euo pipefail
edgetwin=$1 boardd=$2 executor=$3 src=$4 traces=$5 work=$6
port=""
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f daemon.log ] && sed 's/^/  daemon: /' daemon.log >&2; exit 1; }
daemon_pid=""
cleanup() { [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
start_daemon() {
  "$boardd" serve --keys keys --fake xavier_nx --root board --bind "tcp://127.0.0.1:${port:-*}" --min-window 0.01 "$@" \
    > daemon.log 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do
    if grep -q "serving xavier_nx" daemon.log; then
      port=$(sed -n 's/.*serving xavier_nx (FAKE board) on tcp:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' daemon.log)
      [ -n "$port" ] && return 0
    fi
    sleep 0.05
  done
  fail "the daemon did not start"
}

"$boardd" keygen --out keys > /dev/null

# 0. No daemon answers: the run fails before it starts, exit code 1 (a port the daemon had, freed).
start_daemon
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
code=0
"$edgetwin" run "$src/scenarios/hil/loopback.json" --hil-keys keys --traces "$traces" --out none --quiet \
  --hil-timeout 0.5 --set "/platform/groups/0/hil_endpoint=\"127.0.0.1:$port\"" > none.log 2>&1 || code=$?
[ "$code" = 1 ] || { cat none.log; fail "exit code $code without a daemon, expected 1"; }
grep -q "error: board link: no response within 0.5.* s (daemon not running" none.log || { cat none.log; fail "no-daemon error"; }

start_daemon

# 1. A simulation with a hardware device.
"$edgetwin" run "$src/scenarios/hil/loopback.json" --hil-keys keys --traces "$traces" --out run --quiet \
  --set "/platform/groups/0/hil_endpoint=\"127.0.0.1:$port\"" > run.log 2>&1 || { cat run.log; fail "hil run"; }
/usr/bin/python3 - <<'PY' || fail "hil summary"
import csv, json
s = json.load(open("run/summary.json"))
hil = s["hil"]["board"]
assert hil["fake_board"] is True, hil
assert hil["per_request"]["latency"]["count"] == s["groups"]["board"]["requests_completed"], (hil, s["groups"]["board"])
rows = list(csv.DictReader(open("run/hil_units.csv")))
assert len(rows) == 10 * hil["per_request"]["latency"]["count"], len(rows)  # resnet18: 10 units per request
assert all(float(r["measured_latency_s"]) > 0 and float(r["predicted_latency_s"]) > 0 for r in rows)
print("hil run ok:", hil["per_request"])
PY

# 2. The profiler's measured trace, validated and loaded through an overlay directory.
"$edgetwin" profile --model resnet18 --keys keys --connect "tcp://127.0.0.1:$port" --levels 2,2,1 \
  --out overlay --base "$traces" --date 2026-01-01 > profile.log 2>&1 || { cat profile.log; fail "profile"; }
grep -q "measured 40 unit and 32 head samples of resnet18 on xavier_nx (FAKE board)" profile.log || { cat profile.log; fail "profile output"; }
[ ! -L overlay/xavier_nx/resnet18.pytorch.fp32.csv ] || fail "the measured file must not be a link"
[ -L overlay/nano/resnet18.pytorch.fp32.csv ] || fail "the overlay lacks the base's other traces"
"$edgetwin" traces validate overlay/xavier_nx/resnet18.pytorch.fp32.csv | grep -q "(40 samples, measured)" \
  || fail "traces validate"
/usr/bin/python3 - "$src" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/scenarios/hil/loopback.json"))
s["platform"]["groups"] = [s["platform"]["groups"][1]]
s["workloads"]["videos"] = [s["workloads"]["videos"][1]]
s["runtime"]["traces_dir"] = "overlay"
s.pop("$schema")
json.dump(s, open("measured.json", "w"))
PY
"$edgetwin" run measured.json --out measured --quiet > measured.log 2>&1 || { cat measured.log; fail "run on the measured trace"; }
/usr/bin/python3 -c "import json; s = json.load(open('measured/summary.json')); assert s['synthetic_traces'] is False, s['synthetic_traces']" \
  || fail "the measured trace was not the one loaded"

# 3. The daemon dies mid-run.
"$edgetwin" run "$src/scenarios/hil/loopback.json" --hil-keys keys --traces "$traces" --out killed --quiet \
  --hil-timeout 2 --set /duration_s=600 --set "/platform/groups/0/hil_endpoint=\"127.0.0.1:$port\"" > killed.log 2>&1 &
run_pid=$!
sleep 2
kill -KILL "$daemon_pid"; daemon_pid=""
code=0; wait "$run_pid" || code=$?
[ "$code" = 1 ] || { cat killed.log; fail "exit code $code after the daemon died, expected 1"; }
grep -q "error: board link to tcp://127.0.0.1:$port lost: .*requests finished (in killed/requests.csv" killed.log \
  || { cat killed.log; fail "no clear error"; }
[ "$(wc -l < killed/requests.csv)" -gt 2 ] || fail "the finished requests were not kept"

# 4. The libtorch executor behind the daemon (CPU here): one clock setting, every unit and head.
start_daemon --executor "$executor" --executor-log executor.log
"$edgetwin" profile --model resnet18 --keys keys --connect "tcp://127.0.0.1:$port" --levels 1,1,1 --repeats 1 \
  --warmup 1 --out torch --date 2026-01-01 > torch.log 2>&1 || { cat torch.log executor.log; fail "libtorch profile"; }
grep -q "executor libtorch .* (RANDOM weights)" torch/xavier_nx/resnet18.pytorch.fp32.csv || fail "executor not named"
"$edgetwin" traces validate torch/xavier_nx/resnet18.pytorch.fp32.csv | grep -q "(10 samples, measured)" \
  || fail "traces validate (libtorch)"
echo "hil loopback: ok"
