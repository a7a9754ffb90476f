#!/usr/bin/python3
"""End-to-end tests of `edgetwin train` and `edgetwin run --checkpoint` (CTest runs each case).

usage: train_cli_test.py CASE EDGETWIN TRACES_DIR WORK_DIR [MPIEXEC]
cases: train     4 short zTT episodes: curve rows and columns, checkpoints and their manifests,
                 two devices feeding one learner, determinism (a second training gives the same bytes), resume (8 + 2
                 episodes equal 10 straight, bit for bit, from the folder or one checkpoint), an existing output
                 folder is not overwritten; two learned networks in one scenario (own curves and checkpoints,
                 evaluated from the folder, one trained while the other is served, a learner clash refused)
       evaluate  a checkpoint drives `edgetwin run` greedily and deterministically; a missing,
                 corrupted or mismatched checkpoint is refused with a message naming the cause
       ztt       the issue's acceptance: `edgetwin train scenarios/ztt/train.json` with its defaults
                 learns a policy whose evaluation run meets the frame-rate target with less device
                 energy than the stock governors (schedutil + podgov)
       fit       `edgetwin train --dataset CSV --model SPEC`: a generated 3-class task (rings) reaches
                 validation accuracy >= 0.93 on the held-out split; a generated regression gets a held-out
                 MSE below 10 % of the target variance (the mean predictor's); resume continues the
                 epochs; bad files and specs are named with line, column and field
       networks  edgetwin-learn train with a stand-in for `edgetwin run` (fake_run.py) that uses two networks
                 of different kinds in one run: a branched DQN bandit finds its best tuple (1, 2) and a
                 supervised classifier, fitted after each episode from the examples the runs send, predicts
                 a half-plane with held-out accuracy >= 0.9; each has its curve and checkpoints
       mpi       `MPIEXEC -np 2 edgetwin train --mpi --mpi-same-seeds` equals one process bit for bit;
                 with different seeds and episodes of different lengths the ranks finish and agree
"""
import csv
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCENARIO = os.path.join(ROOT, "scenarios", "ztt", "train.json")
CURVE_COLUMNS = ["episode", "kind", "seed", "ranks", "decisions", "return", "mean_reward", "return_mean_over_ranks",
                 "updates", "loss_mean", "q_mean", "epsilon", "alpha", "entropy", "wall_s", "simulated_s",
                 "sim_s_per_wall_s", "requests_completed", "throughput_rps", "latency_p95_s", "slo_violation_rate",
                 "device_energy_j", "energy_per_request_j", "max_cpu_temp_c", "max_gpu_temp_c"]
# Short episodes for the mechanics: 30 simulated seconds.
SHORT = ["--set", "/duration_s=30"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(cmd, expect_ok=True, timeout=900):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    if expect_ok and p.returncode != 0:
        fail("`%s` exited with %d:\n%s" % (" ".join(cmd), p.returncode, out))
    return p.returncode, out


def curve(out_dir, network="ztt"):
    with open(os.path.join(out_dir, network, "curve.csv")) as f:
        reader = csv.DictReader(f)
        check(reader.fieldnames == CURVE_COLUMNS, "curve.csv columns: %s" % reader.fieldnames)
        return list(reader)


def manifest(checkpoint):
    with open(os.path.join(checkpoint, "manifest.json")) as f:
        return json.load(f)


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def summary(run_dir):
    with open(os.path.join(run_dir, "summary.json")) as f:
        return json.load(f)["overall"]


class Cli:
    def __init__(self, edgetwin, traces, work):
        self.edgetwin, self.traces, self.work = edgetwin, traces, work

    def train(self, out, *extra, expect_ok=True, scenario=SCENARIO):
        return run([self.edgetwin, "train", scenario, "--out", os.path.join(self.work, out), "--quiet",
                    "--traces", self.traces] + list(extra), expect_ok)

    def evaluate(self, out, *extra, expect_ok=True):
        return run([self.edgetwin, "run", SCENARIO, "--out", os.path.join(self.work, out), "--quiet",
                    "--traces", self.traces] + list(extra), expect_ok)

    def path(self, *parts):
        return os.path.join(self.work, *parts)


def case_train(cli):
    cli.train("a", "--episodes", "4", "--eval-every", "2", "--checkpoint-every", "2", *SHORT)
    rows = curve(cli.path("a"))
    check([(r["episode"], r["kind"]) for r in rows] ==
          [("1", "train"), ("2", "train"), ("2", "eval"), ("3", "train"), ("4", "train"), ("4", "eval")],
          "curve rows: %s" % [(r["episode"], r["kind"]) for r in rows])
    train = [r for r in rows if r["kind"] == "train"]
    # A tick each simulated second until the last frame is done: 28 to 29 transitions.
    check(all(28 <= int(r["decisions"]) <= 29 for r in rows), "decisions per 30-s episode")
    check(all(float(r["simulated_s"]) >= 30 and float(r["wall_s"]) > 0 for r in rows), "simulated and wall time")
    # zTT's DQN starts learning after 200 decisions (episode 7 of 29 decisions); before, none.
    check(all(int(r["updates"]) == 0 for r in train), "no update during the warm-up")
    epsilons = [float(r["epsilon"]) for r in train]
    check(all(a > b for a, b in zip(epsilons, epsilons[1:])) and epsilons[0] < 1, "epsilon decays: %s" % epsilons)
    check([r["seed"] for r in train] == ["2", "3", "4", "5"], "training seeds = scenario seed + episode")
    check(all(r["seed"] == "1" for r in rows if r["kind"] == "eval"), "evaluation seed = scenario seed")
    for name in ("best", "last", "checkpoints/episode_0002", "checkpoints/episode_0004"):
        m = manifest(cli.path("a", "ztt", name))
        user = m["user"]
        check(m["kind"] == "dqn" and m["state_dim"] == 7 and m["action_count"] == 9, name + ": dims")
        check(user["policy"] == "ztt" and user["network"] == "ztt" and len(user["action_names"]) == 9 and
              len(user["state_names"]) == 7,
              name + ": state and action spec")
        check(len(user["scenario_hash"]) == 16 and user["edgetwin_version"], name + ": scenario hash, version")
    check(manifest(cli.path("a", "ztt", "last"))["user"]["episodes"] == 4, "last = episode 4")
    check(manifest(cli.path("a", "ztt", "last"))["counters"]["decisions"] == sum(int(r["decisions"]) for r in train),
          "decisions counted")
    check(os.path.isfile(cli.path("a", "eval", "episode_0004", "timeline.csv")), "evaluation outputs kept")
    check(not os.path.exists(cli.path("a", "episode")), "training episode outputs removed")

    # Two devices feed one learner: twice the transitions per episode, one checkpoint.
    cli.train("two", "--episodes", "1", "--eval-every", "0", "--set", "/platform/groups/0/count=2", *SHORT)
    two = curve(cli.path("two"))
    check(len(two) == 1 and 56 <= int(two[0]["decisions"]) <= 58, "two devices, one learner: %s" % two)
    check(manifest(cli.path("two", "ztt", "last"))["counters"]["decisions"] == int(two[0]["decisions"]), "shared learner")

    # Deterministic: the same training again gives the same bytes.
    cli.train("b", "--episodes", "4", "--eval-every", "2", "--checkpoint-every", "2", *SHORT)
    check(same_bytes(cli.path("a", "ztt", "last", "online.pt"), cli.path("b", "ztt", "last", "online.pt")), "determinism")
    # Past the warm-up, resume: 8 + 2 episodes equal 10 straight.
    cli.train("straight", "--episodes", "10", "--eval-every", "0", *SHORT)
    cli.train("resumed", "--episodes", "8", "--eval-every", "0", *SHORT)
    code, out = cli.train("resumed", "--episodes", "2", "--eval-every", "0", *SHORT, expect_ok=False)
    check(code != 0 and "--resume" in out, "an existing training folder is not overwritten: %s" % out)
    shutil.copytree(cli.path("resumed", "ztt", "last"), cli.path("ckpt8"))
    cli.train("resumed", "--episodes", "2", "--eval-every", "0", "--resume", cli.path("resumed"), *SHORT)
    rows = curve(cli.path("resumed"))
    check([r["episode"] for r in rows] == [str(i) for i in range(1, 11)], "resumed curve continues the episodes")
    check(int(rows[-1]["updates"]) > 0, "updates after the warm-up")
    m = manifest(cli.path("resumed", "ztt", "last"))
    check(m["user"]["episodes"] == 10 and m["counters"]["decisions"] == sum(int(r["decisions"]) for r in rows),
          "resumed counters: %s" % m["counters"])
    check(same_bytes(cli.path("straight", "ztt", "last", "online.pt"), cli.path("resumed", "ztt", "last", "online.pt")),
          "8 + 2 resumed episodes give the same network as 10 straight")
    # The same from one network's checkpoint instead of the training folder.
    cli.train("resumed2", "--episodes", "2", "--eval-every", "0", "--resume", cli.path("ckpt8"), *SHORT)
    check([r["episode"] for r in curve(cli.path("resumed2"))] == ["9", "10"], "resumed from a checkpoint")
    check(same_bytes(cli.path("straight", "ztt", "last", "online.pt"), cli.path("resumed2", "ztt", "last", "online.pt")),
          "resumed from one network's checkpoint: the same network")
    case_two_networks(cli)
    print("ok train")


def two_network_scenario(cli, right_network="right", right_learner=None):
    """Two TX2 groups of one device each, both running zTT, naming networks 'left' and `right_network`."""
    with open(SCENARIO) as f:
        s = json.load(f)
    left = s["platform"]["groups"][0]
    left["name"] = "left"
    left["policies"]["clocks"]["params"]["network"] = "left"
    right = json.loads(json.dumps(left))
    right["name"] = "right"
    right["policies"]["clocks"]["params"]["network"] = right_network
    if right_learner is not None:
        right["policies"]["clocks"]["params"]["learner"] = right_learner
    s["platform"]["groups"] = [left, right]
    camera = s["workloads"]["videos"][0]
    camera["group"] = "left"
    other = dict(camera, name="camera2", group="right")
    s["workloads"]["videos"] = [camera, other]
    path = cli.path("two_networks_%s.json" % right_network)
    with open(path, "w") as f:
        json.dump(s, f)
    return path


def case_two_networks(cli):
    """Two learned networks in one scenario: each trained with its own curve and checkpoints, in one
    learner process; evaluated from the training folder; one trained while the other is served."""
    scenario = two_network_scenario(cli)
    cli.train("nets", "--episodes", "2", "--eval-every", "0", *SHORT, scenario=scenario)
    for name in ("left", "right"):
        rows = curve(cli.path("nets"), name)
        check(len(rows) == 2 and all(28 <= int(r["decisions"]) <= 29 for r in rows),
              "network %s: one device's decisions per episode: %s" % (name, rows))
        m = manifest(cli.path("nets", name, "last"))
        check(m["user"]["network"] == name and m["counters"]["decisions"] == sum(int(r["decisions"]) for r in rows),
              "network %s: its own learner" % name)
    _, out = run([cli.edgetwin, "run", scenario, "--out", cli.path("nets_eval"), "--quiet", "--traces", cli.traces,
                  "--checkpoint", cli.path("nets")] + SHORT)
    # Train 'left' only; 'right' decides greedily from its checkpoint and is left untouched.
    cli.train("left_only", "--episodes", "1", "--eval-every", "0", "--network", "left", "--checkpoint",
              "right=" + cli.path("nets", "right", "last"), *SHORT, scenario=scenario)
    check(os.path.isfile(cli.path("left_only", "left", "curve.csv")) and not os.path.exists(cli.path("left_only", "right")),
          "only the named network is trained")
    code, out = cli.train("left_only_nockpt", "--episodes", "1", "--network", "left", *SHORT, scenario=scenario,
                          expect_ok=False)
    check(code != 0 and "network 'right'" in out and "has no checkpoint" in out, "an untrained network needs a checkpoint: %s" % out)
    # Two policies naming one network must ask for the same learner.
    clash = two_network_scenario(cli, right_network="left", right_learner={"learning_rate": 0.01})
    code, out = cli.train("clash", "--episodes", "1", *SHORT, scenario=clash, expect_ok=False)
    check(code != 0 and "asks for another learner than policy" in out, "a network's learner clash: %s" % out)
    # ... and when they do, the two devices feed one network.
    shared = two_network_scenario(cli, right_network="left")
    cli.train("shared", "--episodes", "1", "--eval-every", "0", *SHORT, scenario=shared)
    rows = curve(cli.path("shared"), "left")
    check(len(rows) == 1 and 56 <= int(rows[0]["decisions"]) <= 58, "two groups, one network: %s" % rows)


def case_evaluate(cli):
    cli.train("t", "--episodes", "8", "--eval-every", "0", *SHORT)
    last = cli.path("t", "ztt", "last")
    _, out1 = cli.evaluate("e1", "--checkpoint", last, *SHORT)
    cli.evaluate("e3", "--checkpoint", "ztt=" + last, *SHORT)
    check(summary(cli.path("e1")) == summary(cli.path("e3")), "NETWORK=DIR names the same checkpoint")
    cli.evaluate("e2", "--set", '/platform/groups/0/policies/clocks/params/checkpoint="%s"' % last, *SHORT)
    check(summary(cli.path("e1")) == summary(cli.path("e2")), "greedy evaluation is deterministic")
    # Torch-free (the default) and the libtorch server decide alike: the same results, bit for bit.
    cli.evaluate("e_server", "--checkpoint", last, "--checkpoint-server", *SHORT)
    check(summary(cli.path("e1")) == summary(cli.path("e_server")), "torch-free = libtorch server")
    with open(cli.path("e1", "timeline.csv")) as a, open(cli.path("e_server", "timeline.csv")) as b:
        check(a.read() == b.read(), "torch-free = libtorch server, timeline")
    with open(cli.path("e1", "timeline.csv")) as f:
        clocks = {(r["cpu_khz"], r["gpu_hz"]) for r in csv.DictReader(f)}
    allowed = {(c, g) for c in ("806400", "1420800", "2035200") for g in ("420750000", "828750000", "1236750000")}
    check(clocks <= allowed, "only zTT's 3 x 3 clock grid: %s" % clocks)

    _, out = cli.evaluate("unused", "--checkpoint", last, "--set",
                          '/platform/groups/0/policies/clocks={"name": "governors"}', *SHORT)
    check("was not used" in out, "a checkpoint that no policy uses is reported: %s" % out)
    code, out = cli.evaluate("none", *SHORT, expect_ok=False)
    check(code == 2 and "has no checkpoint" in out and "--checkpoint DIR" in out, "no checkpoint: %d %s" % (code, out))
    code, out = cli.evaluate("missing", "--checkpoint", cli.path("nowhere"), *SHORT, expect_ok=False)
    check(code != 0 and "no checkpoint of network 'ztt'" in out and "nowhere" in out, "missing checkpoint: %s" % out)
    broken = cli.path("broken")
    shutil.copytree(last, broken)
    with open(os.path.join(broken, "online.pt"), "r+b") as f:
        f.truncate(100)
    # The torch-free path reads greedy.json only; the server loads (and checks) everything.
    code, out = cli.evaluate("broken", "--checkpoint", broken, "--checkpoint-server", *SHORT, expect_ok=False)
    check(code != 0 and "online.pt" in out, "corrupted checkpoint: %s" % out)
    with open(os.path.join(broken, "greedy.json"), "r+b") as f:
        f.truncate(100)
    code, out = cli.evaluate("broken2", "--checkpoint", broken, *SHORT, expect_ok=False)
    check(code != 0 and "greedy.json" in out and "truncated" in out, "corrupted greedy.json: %s" % out)
    code, out = cli.evaluate("other", "--checkpoint", last, "--set",
                             "/platform/groups/0/policies/clocks/params/cpu_levels=[3, 11]", *SHORT, expect_ok=False)
    check(code != 0 and "action_count is 9 in the checkpoint, 6 in the policy" in out, "mismatch: %s" % out)
    print("ok evaluate")


def case_ztt(cli):
    _, out = cli.train("ztt")
    rows = curve(cli.path("ztt"))
    check(len([r for r in rows if r["kind"] == "train"]) == 30, "30 training episodes by default")
    cli.evaluate("learned", "--checkpoint", cli.path("ztt"))
    cli.evaluate("governors", "--set", '/platform/groups/0/policies/clocks={"name": "governors"}')
    learned, governors = summary(cli.path("learned")), summary(cli.path("governors"))
    target_frames = 10 * 120   # 10 fps for 120 s
    for name, s in (("learned", learned), ("governors", governors)):
        print("%-9s frames %d dropped %d p95 %.1f ms device energy %.1f J" %
              (name, s["requests_completed"], s["requests_dropped"], s["latency_p95_s"] * 1e3, s["device_energy_j"]))
    check(learned["requests_completed"] == target_frames and learned["requests_dropped"] == 0,
          "the learned policy keeps the 10 fps target")
    check(learned["device_energy_j"] < governors["device_energy_j"],
          "the learned policy uses less energy than the governors")
    print("energy saving vs governors: %.1f %%" % (100 * (1 - learned["device_energy_j"] / governors["device_energy_j"])))
    print("ok ztt")


FIT_COLUMNS = ["epoch", "rows", "train_loss", "validation_loss", "train_accuracy", "validation_accuracy",
               "updates", "wall_s"]


def fit_curve(path):
    with open(path) as f:
        reader = csv.DictReader(f)
        check(reader.fieldnames == FIT_COLUMNS, "fit curve columns: %s" % reader.fieldnames)
        return list(reader)


def case_fit(cli):
    import math
    import random
    rng = random.Random(7)
    # Rings: class 0 inside r = 0.5, 1 up to r = 0.8, 2 outside, points within 0.03 of a boundary left
    # out. Not linearly separable: the hidden layers have to do it. Majority class: about 50 %.
    rings = cli.path("rings.csv")
    with open(rings, "w") as f:
        f.write("x0,x1,ring\n")
        n = 0
        while n < 3000:
            x0, x1 = rng.uniform(-1, 1), rng.uniform(-1, 1)
            r = math.hypot(x0, x1)
            if abs(r - 0.5) < 0.03 or abs(r - 0.8) < 0.03:
                continue
            f.write("%.6f,%.6f,%d\n" % (x0, x1, 0 if r < 0.5 else 1 if r < 0.8 else 2))
            n += 1
    spec = cli.path("rings.json")
    with open(spec, "w") as f:
        json.dump({"name": "rings", "task": "classification", "label": "ring", "hidden": [32, 32],
                   "learning_rate": 0.01, "batch_size": 32, "epochs": 40, "validation_fraction": 0.2, "seed": 3}, f)
    run([cli.edgetwin, "train", "--dataset", rings, "--model", spec, "--out", cli.path("fit"), "--quiet",
         "--epochs", "30"])
    rows = fit_curve(cli.path("fit", "rings", "curve.csv"))
    check([r["epoch"] for r in rows] == [str(i) for i in range(1, 31)], "30 epochs")
    accuracy = float(rows[-1]["validation_accuracy"])
    print("rings: validation accuracy %.3f after 30 epochs" % accuracy)
    check(accuracy >= 0.93, "held-out accuracy on the rings: %.3f" % accuracy)
    m = manifest(cli.path("fit", "rings", "best"))
    check(m["kind"] == "supervised" and m["state_dim"] == 2 and m["action_count"] == 3, "best: dims")
    check(m["user"]["network"] == "rings" and m["user"]["features"] == ["x0", "x1"], "best: features")
    # Resume: 30 + 10 epochs continue the curve.
    code, out = run([cli.edgetwin, "train", "--dataset", rings, "--model", spec, "--out", cli.path("fit"),
                     "--quiet"], expect_ok=False)
    check(code != 0 and "--resume" in out, "no overwrite: %s" % out)
    run([cli.edgetwin, "train", "--dataset", rings, "--model", spec, "--out", cli.path("fit"), "--quiet",
         "--epochs", "10", "--resume", cli.path("fit")])
    rows = fit_curve(cli.path("fit", "rings", "curve.csv"))
    check([r["epoch"] for r in rows] == [str(i) for i in range(1, 41)], "resumed epochs continue")

    # Regression: y = sin(2 x0) + x1^2 + N(0, 0.05^2); the mean predictor's MSE is var(y).
    wave = cli.path("wave.csv")
    ys = []
    with open(wave, "w") as f:
        f.write("x0,x1,unused,y\n")
        for _ in range(3000):
            x0, x1 = rng.uniform(-1.5, 1.5), rng.uniform(-1, 1)
            y = math.sin(2 * x0) + x1 * x1 + rng.gauss(0, 0.05)
            ys.append(y)
            f.write("%.6f,%.6f,%.3f,%.6f\n" % (x0, x1, rng.random(), y))
    mean = sum(ys) / len(ys)
    variance = sum((y - mean) ** 2 for y in ys) / len(ys)
    spec = cli.path("wave.json")
    with open(spec, "w") as f:
        json.dump({"task": "regression", "targets": ["y"], "features": ["x0", "x1"], "hidden": [32, 32],
                   "learning_rate": 0.01, "batch_size": 32, "epochs": 40, "seed": 5}, f)
    run([cli.edgetwin, "train", "--dataset", wave, "--model", spec, "--out", cli.path("fit"), "--quiet"])
    rows = fit_curve(cli.path("fit", "wave", "curve.csv"))
    mse = float(rows[-1]["validation_loss"])
    print("wave: validation MSE %.4f, target variance %.4f (ratio %.3f)" % (mse, variance, mse / variance))
    check(rows[-1]["validation_accuracy"] == "", "no accuracy for regression")
    check(mse < 0.1 * variance, "held-out MSE %.4f not below 10 %% of the variance %.4f" % (mse, variance))

    # Errors name what is wrong.
    bad = cli.path("bad.csv")
    with open(bad, "w") as f:
        f.write("x0,x1,ring\n0.1,0.2,1\n0.3,oops,0\n")
    code, out = run([cli.edgetwin, "train", "--dataset", bad, "--model", cli.path("rings.json"), "--out",
                     cli.path("bad"), "--quiet"], expect_ok=False)
    check(code == 3 and "bad.csv" in out and "line 3, column 'x1'" in out and "oops" in out, "bad cell: %s" % out)
    nolabel = cli.path("nolabel.json")
    with open(nolabel, "w") as f:
        json.dump({"task": "classification", "label": "class"}, f)
    code, out = run([cli.edgetwin, "train", "--dataset", rings, "--model", nolabel, "--out", cli.path("bad2"),
                     "--quiet"], expect_ok=False)
    check(code == 3 and "no column 'class'" in out and "x0, x1, ring" in out, "missing column: %s" % out)
    badspec = cli.path("badspec.json")
    with open(badspec, "w") as f:
        json.dump({"task": "classification", "label": "ring", "batch_size": 0}, f)
    code, out = run([cli.edgetwin, "train", "--dataset", rings, "--model", badspec, "--out", cli.path("bad3"),
                     "--quiet"], expect_ok=False)
    check(code == 2 and "batch_size" in out, "bad spec field: %s" % out)
    print("ok fit")


def case_networks(cli):
    learn = os.path.join(os.path.dirname(cli.edgetwin), "..", "..", "policies", "learn_process", "edgetwin-learn")
    fake = os.path.join(HERE, "fake_run.py")
    scenario = cli.path("fake.json")
    with open(scenario, "w") as f:
        f.write("{}")
    run([learn, "train", "--edgetwin", fake, "--scenario", scenario, "--out", cli.path("nets"), "--episodes", "4",
         "--eval-every", "2", "--quiet"])
    bandit = curve(cli.path("nets"), "bandit")
    check([(r["episode"], r["kind"]) for r in bandit] ==
          [("1", "train"), ("2", "train"), ("2", "eval"), ("3", "train"), ("4", "train"), ("4", "eval")],
          "bandit curve: %s" % bandit)
    check(all(r["decisions"] == "300" for r in bandit), "300 decisions per run")
    with open(cli.path("nets", "eval", "episode_0004", "fake.json")) as f:
        last_eval = json.load(f)
    check(last_eval["actions"] == {"[1, 2]": 300}, "the branched bandit's greedy tuple: %s" % last_eval["actions"])
    check(manifest(cli.path("nets", "bandit", "best"))["branches"] == [2, 3], "branches recorded")
    with open(cli.path("nets", "halfplane", "curve.csv")) as f:
        rows = list(csv.DictReader(f))
    check([(r["episode"], r["epoch"]) for r in rows][:6] ==
          [("1", "1"), ("1", "2"), ("1", "3"), ("1", "4"), ("1", "5"), ("2", "6")], "epochs per episode: %s" % rows[:6])
    check(len(rows) == 20 and rows[-1]["samples"] == "1200", "4 episodes x 5 epochs, 4 x 300 examples kept")
    accuracy = last_eval["accuracy"]
    print("halfplane: validation accuracy %s, evaluation-run accuracy %.3f" % (rows[-1]["validation_accuracy"], accuracy))
    check(float(rows[-1]["validation_accuracy"]) >= 0.9 and accuracy >= 0.9, "the supervised network learned")
    m = manifest(cli.path("nets", "halfplane", "best"))
    check(m["kind"] == "supervised" and m["user"]["samples"] == 1200 and "greedy.json" in m["files"],
          "supervised checkpoint")
    print("ok networks")


def case_mpi(cli, mpiexec):
    mpi = [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", "2"]
    cli.train("single", "--episodes", "9", "--eval-every", "0", *SHORT)
    run(mpi + [cli.edgetwin, "train", SCENARIO, "--out", cli.path("same"), "--quiet", "--traces", cli.traces,
               "--episodes", "9", "--eval-every", "0", "--mpi", "--mpi-same-seeds"] + SHORT)
    check(int(curve(cli.path("single"))[-1]["updates"]) > 0, "updates happened")
    check(same_bytes(cli.path("single", "ztt", "last", "online.pt"), cli.path("same", "ztt", "last", "online.pt")),
          "two ranks with the same seeds average identical gradients: same network as one process")
    # Without a capture buffer the frames queue up and episodes last different times per rank.
    _, out = run(mpi + [cli.edgetwin, "train", SCENARIO, "--out", cli.path("diff"), "--traces", cli.traces,
                        "--episodes", "9", "--eval-every", "0", "--mpi", "--quiet",
                        "--set", "/workloads/videos/0/queue_limit=0"] + SHORT)
    check("agreed bit for bit" in out, "ranks agree: %s" % out)
    rows = curve(cli.path("diff"))
    check(all(r["ranks"] == "2" for r in rows) and rows[-1]["return"] != rows[-1]["return_mean_over_ranks"],
          "two ranks with different episodes")
    check(manifest(cli.path("diff", "ztt", "last"))["user"]["ranks"] == 2, "manifest records the ranks")
    print("ok mpi")


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        sys.exit(2)
    case, edgetwin, traces, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cli = Cli(edgetwin, traces, work)
    if case == "train":
        case_train(cli)
    elif case == "evaluate":
        case_evaluate(cli)
    elif case == "ztt":
        case_ztt(cli)
    elif case == "networks":
        case_networks(cli)
    elif case == "fit":
        case_fit(cli)
    elif case == "mpi":
        case_mpi(cli, sys.argv[5])
    else:
        fail("unknown case " + case)


if __name__ == "__main__":
    main()
