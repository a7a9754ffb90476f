#!/usr/bin/python3
"""DVFO finds the known best (clocks, share) of a small case (issue 15) and honours its accuracy
budget: scenarios/dvfo/small.json (Xavier NX, EfficientNet-B0, 5 fps, 8 Mbps; GPU clock min or max
x offloaded share 0, 0.25 or 1; eta 0.8, epsilon 0.5 percentage points, penalty 10 per point).

usage: dvfo_small.py EDGETWIN TRACES WORKDIR [EPISODES]

1. A sweep of the six actions as fixed policies (fixed_clocks + edge_only / fixed_split) scores
   each with the policy's reward (docs/dvfo.md), the references being the edge-only run at the
   highest clocks; it prints the best action with and without the accuracy penalty (the case is
   built so that they differ: the whole share saves the most energy but loses 0.78 points).
2. `edgetwin train` trains DVFO (seed 1), `edgetwin run --checkpoint` evaluates it (seed 101).

Passes ("ok dvfo_small") when the evaluation's most used action is the constrained best one, its
mean reward is within 3 % of the best action's, no evaluated request loses more accuracy than the
budget, and the evaluation's mean reward is above the first training episode's (improvement).
"""
import collections
import csv
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = os.path.join(ROOT, "scenarios", "dvfo", "small.json")
ETA, EPSILON_PP, PENALTY = 0.8, 0.5, 10.0


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print("FAILED (exit %d): %s\n%s" % (proc.returncode, " ".join(cmd), proc.stdout))
        sys.exit(1)
    return proc.stdout


def requests(folder):
    with open(os.path.join(folder, "requests.csv")) as f:
        return [r for r in csv.DictReader(f) if r.get("status", "ok") == "ok"]


def score(rows, e_ref, t_ref, a_ref, penalty=PENALTY):
    """Mean reward and the largest accuracy loss (pp) of a run's requests."""
    total, worst = 0.0, 0.0
    for r in rows:
        loss = max(0.0, (a_ref - float(r["accuracy"])) * 100)
        worst = max(worst, loss)
        total += -(ETA * float(r["energy_j"]) / e_ref + (1 - ETA) * float(r["latency_s"]) / t_ref) \
            - penalty * max(0.0, loss - EPSILON_PP)
    return total / len(rows), worst


def main():
    edgetwin, traces, work = sys.argv[1:4]
    episodes = sys.argv[4] if len(sys.argv) > 4 else "12"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(SCENARIO) as f:
        params = json.load(f)["platform"]["groups"][0]["policies"]["clocks+placement"]["params"]
    common = ["--traces", traces, "--quiet"]
    sweep = {}
    for gpu in params["gpu_levels"]:
        for share in params["shares"]:
            out = os.path.join(work, "fixed_%s_%g" % (gpu, share))
            placement = ({"name": "edge_only"} if share == 0 else
                         {"name": "fixed_split", "params": {"split_after": "features.4.0", "offload_share": share}})
            run([edgetwin, "run", SCENARIO, *common, "--out", out,
                 "--set", "/platform/groups/0/policies=" + json.dumps({
                     "clocks": {"name": "fixed_clocks", "params": {"cpu_khz": "max", "gpu_hz": gpu, "emc_hz": "max"}},
                     "placement": placement}),
                 "--set", '/platform/groups/0/decision={"cost": "none", "mode": "wait"}'])
            sweep[(gpu, share)] = requests(out)
    ref = sweep[("max", 0)]
    e_ref = sum(float(r["energy_j"]) for r in ref) / len(ref)
    t_ref = sum(float(r["latency_s"]) for r in ref) / len(ref)
    a_ref = max(float(r["accuracy"]) for r in ref)
    scores = {k: score(rows, e_ref, t_ref, a_ref) for k, rows in sweep.items()}
    free = {k: score(rows, e_ref, t_ref, a_ref, penalty=0)[0] for k, rows in sweep.items()}
    for k, (s, worst) in sorted(scores.items(), key=lambda kv: -kv[1][0]):
        print("fixed gpu %s, share %g: mean reward %.4f (without the penalty %.4f), accuracy loss %.2f pp" % (
            k[0], k[1], s, free[k], worst))
    best = max(scores, key=lambda k: scores[k][0])
    best_free = max(free, key=lambda k: free[k])
    print("best: gpu %s, share %g; without the accuracy penalty: gpu %s, share %g" % (best + best_free))

    train = os.path.join(work, "train")
    run([edgetwin, "train", SCENARIO, *common, "--out", train, "--episodes", episodes, "--eval-every", episodes])
    ev = os.path.join(work, "eval")
    run([edgetwin, "run", SCENARIO, *common, "--out", ev, "--seed", "101", "--checkpoint", train])
    rows = requests(ev)
    got, worst = score(rows, e_ref, t_ref, a_ref)
    used = collections.Counter((r["gpu_hz"], float(r["offload_share"])) for r in rows).most_common()
    with open(os.path.join(train, "dvfo", "curve.csv")) as f:
        curve = [r for r in csv.DictReader(f)]
    first = float(curve[0]["mean_reward"])
    print("DVFO evaluation: mean reward %.4f (best fixed %.4f, first training episode %.4f), "
          "largest accuracy loss %.2f pp, actions used (gpu_hz, share): %s" % (got, scores[best][0], first, worst, used))
    best_gpu_hz = {r["gpu_hz"] for r in sweep[best]}
    ok = True
    if (used[0][0][0] not in best_gpu_hz) or abs(used[0][0][1] - best[1]) > 1e-9:
        print("FAIL: the most used action is not the best fixed action")
        ok = False
    if got < scores[best][0] - 0.03 * abs(scores[best][0]):
        print("FAIL: the mean reward is not within 3 % of the best fixed action's")
        ok = False
    if worst > EPSILON_PP + 1e-9:
        print("FAIL: a request lost more accuracy than the budget")
        ok = False
    if not got > first:
        print("FAIL: no improvement over the first training episode")
        ok = False
    if best == best_free:
        print("FAIL: the case does not exercise the accuracy budget (the same best without the penalty)")
        ok = False
    if ok:
        print("ok dvfo_small")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
