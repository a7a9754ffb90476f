#!/usr/bin/python3
"""BCEdge on a stationary case (issue 16): the best static (batch, instances) of
scenarios/bcedge/stationary.json is found by a sweep of fixed_batching over the same action set
the scheduler has (batch 1, 2, 4, 8 x 1, 2 instances, the same batching delay); discrete SAC
trained with `edgetwin train` must then reach that utility in its greedy evaluation.

usage: bcedge_stationary.py EDGETWIN TRACES WORKDIR [RATE_HZ] [EPISODES]

Passes ("ok bcedge_stationary") when the evaluation's utility is within 3 % of the best static
action's and above every static action but the best three, and its most used batch size (of the
requests' batches) is the best static action's. Prints the sweep, the evaluation and
the most used (batch, concurrency) of the evaluation's requests.
"""
import collections
import csv
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = os.path.join(ROOT, "scenarios", "bcedge", "stationary.json")


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print("FAILED (exit %d): %s\n%s" % (proc.returncode, " ".join(cmd), proc.stdout))
        sys.exit(1)
    return proc.stdout


def utility(folder):
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)["utility"]


def main():
    edgetwin, traces, work = sys.argv[1:4]
    rate = sys.argv[4] if len(sys.argv) > 4 else "100"
    episodes = sys.argv[5] if len(sys.argv) > 5 else "30"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    common = ["--traces", traces, "--set", "/workloads/requests/0/arrival/rate_hz=" + rate]
    sweep = {}
    for b in (1, 2, 4, 8):
        for n in (1, 2):
            out = os.path.join(work, "static_%d_%d" % (b, n))
            policy = {"name": "fixed_batching", "params": {"batch_size": b, "instances": n, "max_wait_s": 0.025}}
            run([edgetwin, "run", SCENARIO, *common, "--quiet", "--out", out,
                 "--set", "/platform/groups/0/policies/batching=" + json.dumps(policy)])
            sweep[(b, n)] = utility(out)
    ranked = sorted(sweep.items(), key=lambda kv: -kv[1])
    for (b, n), u in ranked:
        print("static batch %d, instances %d: utility %.4f" % (b, n, u))
    train = os.path.join(work, "train")
    run([edgetwin, "train", SCENARIO, *common, "--out", train, "--episodes", episodes, "--eval-every", episodes,
         "--quiet"])
    evals = sorted(os.listdir(os.path.join(train, "eval")))
    folder = os.path.join(train, "eval", evals[-1])
    got = utility(folder)
    with open(os.path.join(folder, "requests.csv")) as f:
        used = collections.Counter((r["batch"], r["concurrency"]) for r in csv.DictReader(f) if r["status"] == "ok")
    print("SAC (%s episodes) greedy evaluation: utility %.4f; most used (batch, concurrency): %s"
          % (episodes, got, used.most_common(3)))
    best = ranked[0][1]
    fourth = ranked[3][1]
    if got < best - 0.03 * abs(best):
        print("FAILED: more than 3 %% below the best static action (%.4f)" % best)
        return 1
    if got <= fourth:
        print("FAILED: not above the fourth best static action (%.4f)" % fourth)
        return 1
    top_batch = collections.Counter()
    for (b, _), count in used.items():
        top_batch[b] += count
    if top_batch.most_common(1)[0][0] != str(ranked[0][0][0]):
        print("FAILED: the most used batch size is not the best static action's (%d)" % ranked[0][0][0])
        return 1
    print("ok bcedge_stationary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
