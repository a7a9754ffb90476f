"""Builds a tiny sweep results database by hand, following the pinned contract (schema_version 1),
with chosen metric values so that every plotted and reported number can be computed by hand.

Sweep "paper", group "bw": policy {race, e4} x bandwidth_bps {1e6, 2e7} x seeds {1, 2, 3}
(synthetic traces), plus one failed run (e4, 2e7, seed 4) and one pending run (race, 1e6, seed 4).
Group "solo": policy {race, e4} x seeds {1, 2}, real traces (synthetic_traces 0).
"""

import json
import os
import sqlite3

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sweeps(sweep_id TEXT PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL,
                    spec_json TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE runs(
  run_id TEXT PRIMARY KEY, sweep_id TEXT NOT NULL, run_index INTEGER NOT NULL,
  sweep_group TEXT NOT NULL, seed INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
  exit_code INTEGER, attempts INTEGER NOT NULL DEFAULT 0, scenario_json TEXT NOT NULL,
  out_dir TEXT, started_at TEXT, finished_at TEXT, wall_s REAL, worker TEXT,
  energy_per_request_j REAL, latency_p95_s REAL, slo_violation_rate REAL, throughput_rps REAL,
  devices REAL, simulated_end_s REAL, synthetic_traces INTEGER);
CREATE TABLE run_axes(
  run_id TEXT NOT NULL, axis TEXT NOT NULL, pointer TEXT NOT NULL, value_json TEXT NOT NULL,
  value_num REAL, value_text TEXT, PRIMARY KEY(run_id, axis));
CREATE TABLE group_summaries(
  run_id TEXT NOT NULL, device_group TEXT NOT NULL,
  energy_per_request_j REAL, PRIMARY KEY(run_id, device_group));
"""

# (policy, bandwidth_bps) -> per seed 1..3: (energy_per_request_j, latency_p95_s,
# slo_violation_rate, throughput_rps)
BW_CELLS = {
    ("race", 1e6): [(0.10, 0.080, 0.10, 100.0), (0.12, 0.090, 0.20, 110.0), (0.14, 0.100, 0.30, 120.0)],
    ("race", 2e7): [(0.20, 0.050, 0.00, 100.0), (0.20, 0.050, 0.00, 100.0), (0.23, 0.050, 0.03, 100.0)],
    ("e4", 1e6): [(0.08, 0.100, 0.20, 90.0), (0.09, 0.110, 0.30, 90.0), (0.10, 0.120, 0.40, 90.0)],
    ("e4", 2e7): [(0.15, 0.040, 0.01, 100.0), (0.16, 0.060, 0.02, 100.0), (0.17, 0.050, 0.03, 100.0)],
}
# (policy, seed) -> energy_per_request_j in group "solo" (other metrics fixed)
SOLO = {("race", 1): 1.0, ("race", 2): 1.2, ("e4", 1): 0.5, ("e4", 2): 0.7}

# requests.csv latencies of the runs of group "bw", per (policy, bandwidth, seed)
LATENCIES = {
    ("race", 1e6, 1): [0.03, 0.01], ("race", 1e6, 2): [0.02], ("race", 1e6, 3): [0.04],
    ("race", 2e7, 1): [0.05], ("race", 2e7, 2): [0.05], ("race", 2e7, 3): [0.06],
    ("e4", 1e6, 1): [0.10, 0.30], ("e4", 1e6, 2): [0.20], ("e4", 1e6, 3): [0.40],
    ("e4", 2e7, 1): [0.07], ("e4", 2e7, 2): [0.08], ("e4", 2e7, 3): [0.09],
}
TIMELINE_RUN = "00000000000000a0"  # (race, 1e6, seed 1)
TIMELINE = [  # time_s, device, cpu_khz, gpu_hz, emc_hz, power_w
    (1, 0, 1420800, 1109250000, 1866000000, 4.5), (1, 1, 1190400, 510000000, 1600000000, 3.0),
    (1, 2, 1190400, 510000000, 1600000000, 3.1),
    (2, 0, 1420800, 599250000, 1866000000, 3.5), (2, 1, 1190400, 510000000, 1600000000, 3.2),
    (2, 2, 1190400, 510000000, 1600000000, 3.3),
    (3, 0, 729600, 599250000, 800000000, 2.5), (3, 1, 1190400, 510000000, 1600000000, 3.4),
    (3, 2, 1190400, 510000000, 1600000000, 3.5),
]


def build(folder, name="results.sqlite"):
    """Writes the database and its run folders into `folder`; returns the database path."""
    path = os.path.join(folder, name)
    runs_dir = os.path.splitext(name)[0] + ".runs"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO meta VALUES(?, ?)", [
        ("schema_version", "1"), ("edgetwin_version", "0.1.0"),
        ("created_at", "2024-01-01T00:00:00Z")])
    db.execute("INSERT INTO sweeps VALUES('s1', 'paper', 'paper.json', '{}', "
               "'2024-01-01T00:00:00Z')")
    index = 0

    def add_run(group, seed, status, axes, metrics=None, synthetic=1, error=None):
        nonlocal index
        run_id = f"{index:014x}a0" if index == 0 else f"{index:016x}"
        out_dir = f"{runs_dir}/{run_id}" if status == "done" else None
        m = metrics or (None, None, None, None)
        db.execute(
            "INSERT INTO runs(run_id, sweep_id, run_index, sweep_group, seed, status, error, "
            "exit_code, attempts, scenario_json, out_dir, energy_per_request_j, latency_p95_s, "
            "slo_violation_rate, throughput_rps, devices, simulated_end_s, synthetic_traces) "
            "VALUES(?, 's1', ?, ?, ?, ?, ?, ?, 1, '{}', ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, index, group, seed, status, error, 1 if status == "failed" else None,
             out_dir, *m, 4 if metrics else None, 10.0 if metrics else None,
             synthetic if metrics else None))
        for axis, pointer, value in axes:
            db.execute("INSERT INTO run_axes VALUES(?, ?, ?, ?, ?, ?)",
                       (run_id, axis, pointer, json.dumps(value),
                        value if isinstance(value, float) else None,
                        value if isinstance(value, str) else None))
        index += 1
        return run_id, out_dir

    for (policy, bw), seeds in BW_CELLS.items():
        for seed, metrics in enumerate(seeds, start=1):
            axes = [("policy", "/policy/name", policy), ("bandwidth_bps", "/network/bandwidth_bps", bw)]
            _, out_dir = add_run("bw", seed, "done", axes, metrics)
            _write_run_folder(folder, out_dir, LATENCIES[(policy, bw, seed)])
    add_run("bw", 4, "failed", [("policy", "/policy/name", "e4"),
                                ("bandwidth_bps", "/network/bandwidth_bps", 2e7)],
            error="edgetwin run: simulated crash\nexit code 1")
    add_run("bw", 4, "pending", [("policy", "/policy/name", "race"),
                                 ("bandwidth_bps", "/network/bandwidth_bps", 1e6)])
    for (policy, seed), energy in SOLO.items():
        _, out_dir = add_run("solo", seed, "done", [("policy", "/policy/name", policy)],
                             (energy, 0.1, 0.0, 50.0), synthetic=0)
        _write_run_folder(folder, out_dir, [0.1])
    db.commit()
    db.close()
    with open(os.path.join(folder, runs_dir, TIMELINE_RUN, "timeline.csv"), "w") as f:
        f.write("time_s,device,cpu_khz,gpu_hz,emc_hz,power_w,energy_j,queue_length,"
                "uplink_bandwidth_bps\n")
        for t, dev, cpu, gpu, emc, p in TIMELINE:
            f.write(f"{t},{dev},{cpu},{gpu},{emc},{p},{p * t},0,2e+07\n")
    return path


def _write_run_folder(folder, out_dir, latencies):
    run_folder = os.path.join(folder, out_dir)
    os.makedirs(run_folder)
    with open(os.path.join(run_folder, "requests.csv"), "w") as f:
        f.write("id,device,group,stream,model,arrival_s,start_s,end_s,latency_s,energy_j,slo_met\n")
        for i, lat in enumerate(latencies):
            f.write(f"{i},0,0,video,mobilenet_v2,0,0,{lat},{lat},0.1,1\n")
    with open(os.path.join(run_folder, "summary.json"), "w") as f:
        f.write("{}\n")


if __name__ == "__main__":
    import sys
    print(build(sys.argv[1]))
