#!/usr/bin/python3
"""End-to-end tests of `edgetwin sweep` with the real binary (CTest runs each case).

usage: sweep_cli_test.py CASE EDGETWIN TRACES_DIR WORK_DIR [MPIEXEC]
cases: rerun      a tiny sweep finishes; the same command again skips every finished run
       failing    a group that fails at run time is recorded; the others finish; --retry-failed
       kill       SIGKILL at random moments, integrity_check ok, finished runs kept, resume equals
                  an uninterrupted sweep (metric columns)
       interrupt  SIGINT stops the sweep, running runs go back to pending, resume finishes
       mpi        `MPIEXEC -np 3 edgetwin sweep --mpi` gives the local runner's metric columns and
                  summaries; re-running it skips every run
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
# Columns that describe how a run went, not what it computed.
NOT_METRICS = {"run_id", "sweep_id", "run_index", "sweep_group", "seed", "status", "error", "exit_code",
               "attempts", "scenario_json", "out_dir", "started_at", "finished_at", "wall_s", "worker"}
RUN_FILES = {"summary.json", "requests.csv", "timeline.csv", "scenario.resolved.json"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


class Sweep:
    def __init__(self, edgetwin, traces, work, scenario, name):
        self.edgetwin, self.traces, self.scenario = edgetwin, traces, os.path.join(DATA, scenario)
        self.db = os.path.join(work, name + ".sqlite")
        self.runs_dir = os.path.join(work, name + ".runs")

    def command(self, *extra):
        return [self.edgetwin, "sweep", self.scenario, "-j", "2", "--db", self.db, "--traces", self.traces] + list(extra)

    def run(self, *extra):
        p = subprocess.run(self.command(*extra), capture_output=True, text=True, timeout=600)
        return p.returncode, p.stdout + p.stderr

    def start(self, *extra):
        return subprocess.Popen(self.command(*extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def rows(self, sql, args=()):
        with sqlite3.connect(self.db) as db:
            return db.execute(sql, args).fetchall()

    def status(self):
        return dict(self.rows("SELECT run_id, status FROM runs"))

    def metrics(self):
        with sqlite3.connect(self.db) as db:
            columns = [c[1] for c in db.execute("PRAGMA table_info(runs)") if c[1] not in NOT_METRICS]
            rows = db.execute("SELECT run_id, status, " + ", ".join(columns) + " FROM runs ORDER BY run_id").fetchall()
        return columns, rows

    def check_done_folders(self):
        for run_id, status in self.status().items():
            folder = os.path.join(self.runs_dir, run_id)
            if status == "done":
                check(os.path.isdir(folder), "done run %s has no folder" % run_id)
                check(set(os.listdir(folder)) == RUN_FILES, "run %s folder holds %s" % (run_id, os.listdir(folder)))
                out_dir = self.rows("SELECT out_dir FROM runs WHERE run_id = ?", (run_id,))[0][0]
                check(out_dir == os.path.basename(self.runs_dir) + "/" + run_id, "out_dir " + out_dir)


def case_rerun(sweep):
    code, out = sweep.run()
    check(code == 0, "first sweep exit %d:\n%s" % (code, out))
    check("tiny: 4/4 done, 0 failed" in out, "summary line missing:\n" + out)
    status = sweep.status()
    check(sorted(status.values()) == ["done"] * 4, "statuses %s" % status)
    sweep.check_done_folders()
    columns, rows = sweep.metrics()
    for c in ("energy_per_request_j", "latency_p95_s", "slo_violation_rate", "requests_completed",
              "simulated_end_s", "synthetic_traces"):
        check(c in columns, "no metric column " + c)
        check(all(r[2 + columns.index(c)] is not None for r in rows), "NULL " + c)
    axes = sweep.rows("SELECT value_text, count(*) FROM run_axes WHERE axis = 'policy' GROUP BY value_text")
    check(axes == [("max_clocks", 2), ("schedutil", 2)], "run_axes %s" % axes)
    groups = sweep.rows("SELECT count(*) FROM group_summaries WHERE device_group = 'cams' AND latency_p95_s IS NOT NULL")
    check(groups == [(4,)], "group_summaries %s" % groups)
    # Seeds differ in what they simulate (Poisson requests): not four copies of one run.
    check(len({r[2 + columns.index("requests_completed")] for r in rows}) > 1 or
          len({r[2 + columns.index("latency_p95_s")] for r in rows}) > 2, "runs look identical")
    before = sweep.rows("SELECT run_id, started_at, attempts FROM runs ORDER BY run_id")
    code, out = sweep.run()
    check(code == 0, "second sweep exit %d:\n%s" % (code, out))
    check("(4 finished earlier, skipped)" in out, "no skip note:\n" + out)
    check(sweep.rows("SELECT run_id, started_at, attempts FROM runs ORDER BY run_id") == before, "finished runs were re-run")


def case_failing(sweep):
    code, out = sweep.run()
    check(code == 1, "a sweep with failed runs must exit 1, got %d:\n%s" % (code, out))
    check("4/8 done, 4 failed" in out and "--retry-failed" in out, out)
    rows = sweep.rows("SELECT sweep_group, status, exit_code, error, energy_per_request_j FROM runs")
    for group, status, exit_code, error, energy in rows:
        if group == "fp32":
            check(status == "done" and energy is not None, "fp32 run %s" % status)
        else:
            check(status == "failed" and exit_code != 0 and energy is None, "int8 run %s %s" % (status, exit_code))
            check("int8" in (error or ""), "the error does not name the missing traces: %r" % error)
    sweep.check_done_folders()
    code, out = sweep.run()
    check(code == 1 and "(8 finished earlier, skipped)" in out, "re-run:\n" + out)
    check(sweep.rows("SELECT max(attempts) FROM runs") == [(1,)], "failed runs re-run without --retry-failed")
    code, out = sweep.run("--retry-failed")
    check(code == 1 and "(4 finished earlier, skipped)" in out, "retry:\n" + out)
    check(sweep.rows("SELECT sweep_group, attempts FROM runs GROUP BY sweep_group ORDER BY sweep_group") ==
          [("fp32", 1), ("int8", 2)], "attempts after --retry-failed")


def wait_for_done(sweep, process, at_least, deadline_s=120):
    start = time.time()
    while time.time() - start < deadline_s:
        if os.path.exists(sweep.db):
            try:
                if sweep.rows("SELECT count(*) FROM runs WHERE status = 'done'")[0][0] >= at_least:
                    return
            except sqlite3.OperationalError:
                pass  # the schema is being created
        if process.poll() is not None:
            return
        time.sleep(0.02)
    fail("no run finished within %d s" % deadline_s)


def case_kill(sweep, reference):
    random.seed(7)
    kept = {}
    for attempt in range(4):
        p = sweep.start()
        wait_for_done(sweep, p, len(kept) + 1)
        time.sleep(random.uniform(0, 0.4))  # land anywhere: launching, running, committing
        if p.poll() is not None:
            break
        p.send_signal(signal.SIGKILL)
        p.wait()
        check(sweep.rows("PRAGMA integrity_check") == [("ok",)], "integrity_check after kill %d" % attempt)
        status = sweep.status()
        for run_id in kept:
            check(status[run_id] == "done", "run %s was done before kill %d, now %s" % (run_id, attempt, status[run_id]))
        kept.update({r: True for r, s in status.items() if s == "done"})
        sweep.check_done_folders()
        print("kill %d: %d of %d runs done" % (attempt, len(kept), len(status)))
    started = dict(sweep.rows("SELECT run_id, started_at FROM runs WHERE status = 'done'"))
    code, out = sweep.run()
    check(code == 0, "resume exit %d:\n%s" % (code, out))
    check(sweep.rows("PRAGMA integrity_check") == [("ok",)], "integrity_check after resume")
    after = dict(sweep.rows("SELECT run_id, started_at FROM runs WHERE run_id IN (%s)" % ",".join("?" * len(started)),
                            tuple(started)))
    check(after == started, "runs done before the kill were re-run")
    check(not os.path.exists(os.path.join(sweep.runs_dir, ".staging")) or
          not os.listdir(os.path.join(sweep.runs_dir, ".staging")), "staging left behind")
    code, out = reference.run()
    check(code == 0, "reference sweep exit %d:\n%s" % (code, out))
    check(sweep.metrics() == reference.metrics(), "metric columns differ from an uninterrupted sweep")
    sweep.check_done_folders()
    check(sorted(os.listdir(sweep.runs_dir)) == sorted(os.listdir(reference.runs_dir)), "run folders differ")
    for run_id in sweep.status():
        with open(os.path.join(sweep.runs_dir, run_id, "summary.json")) as a, \
             open(os.path.join(reference.runs_dir, run_id, "summary.json")) as b:
            check(a.read() == b.read(), "summary.json of %s differs" % run_id)


def case_interrupt(sweep):
    p = sweep.start()
    wait_for_done(sweep, p, 1)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    if "12/12 done" in out:
        print("the sweep finished before the signal; nothing to check")
        return
    check(p.returncode != 0, "an interrupted sweep must exit non-zero:\n" + out)
    check("resume with the same command" in out, "no resume hint:\n" + out)
    check(sweep.rows("SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)], "runs left 'running'")
    code, out = sweep.run()
    check(code == 0 and "12/12 done" in out, "resume:\n" + out)


def case_mpi(sweep, reference, mpiexec):
    command = [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", "3"] + sweep.command("--mpi", "--quiet")
    p = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0 and "tiny_kill: 12/12 done, 0 failed" in p.stdout, "mpi sweep:\n" + p.stdout + p.stderr)
    workers = sweep.rows("SELECT DISTINCT worker FROM runs ORDER BY worker")
    check(all(w[0].endswith((" rank 1", " rank 2")) for w in workers), "workers %s" % workers)
    code, out = reference.run()
    check(code == 0, "local sweep exit %d:\n%s" % (code, out))
    check(sweep.metrics() == reference.metrics(), "metric columns differ from the local runner's")
    check(sweep.rows("SELECT run_id, run_index, sweep_group, seed, scenario_json FROM runs ORDER BY run_id") ==
          reference.rows("SELECT run_id, run_index, sweep_group, seed, scenario_json FROM runs ORDER BY run_id"),
          "runs differ from the local runner's")
    check(sweep.rows("SELECT * FROM run_axes ORDER BY run_id, axis") == reference.rows("SELECT * FROM run_axes ORDER BY run_id, axis"),
          "run_axes differ")
    sweep.check_done_folders()
    for run_id in sweep.status():
        with open(os.path.join(sweep.runs_dir, run_id, "summary.json")) as a, \
             open(os.path.join(reference.runs_dir, run_id, "summary.json")) as b:
            check(a.read() == b.read(), "summary.json of %s differs" % run_id)
    p = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0 and "(12 finished earlier, skipped)" in p.stdout, "mpi re-run:\n" + p.stdout + p.stderr)


def main():
    case, edgetwin, traces, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if case == "rerun":
        case_rerun(Sweep(edgetwin, traces, work, "tiny_sweep.json", "results"))
    elif case == "failing":
        case_failing(Sweep(edgetwin, traces, work, "failing_sweep.json", "results"))
    elif case == "kill":
        case_kill(Sweep(edgetwin, traces, work, "kill_sweep.json", "killed"),
                  Sweep(edgetwin, traces, work, "kill_sweep.json", "reference"))
    elif case == "interrupt":
        case_interrupt(Sweep(edgetwin, traces, work, "kill_sweep.json", "results"))
    elif case == "mpi":
        case_mpi(Sweep(edgetwin, traces, work, "kill_sweep.json", "mpi"),
                 Sweep(edgetwin, traces, work, "kill_sweep.json", "local"), sys.argv[5])
    else:
        fail("unknown case " + case)
    print("ok " + case)


if __name__ == "__main__":
    main()
