"""Sharding (docs/performance.md "Sharding"): a scenario of independent devices simulated whole
and as K shards (`edgetwin run --shard R/K`, separate processes) gives every request the same
row of requests.csv, and the shards together hold every request exactly once.

usage: shards.py EDGETWIN SOURCE_DIR TRACES_DIR WORK_DIR
"""
import csv
import os
import shutil
import subprocess
import sys

edgetwin, src, traces, work = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
scenario = os.path.join(src, "scenarios", "quickstart.json")
# Seven devices (blocks of 2, 2, 3 over three shards), no cloud: nothing crosses shards.
common = ["--set", "/platform/clouds=[]", "--set", "/platform/groups/0/count=7", "--set", "/duration_s=5",
          "--traces", traces, "--quiet"]


def run(out, *extra):
    subprocess.run([edgetwin, "run", scenario, *common, "--out", os.path.join(work, out), *extra], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(work, out, "requests.csv")) as f:
        return list(csv.DictReader(f))


whole = run("whole")
shards = [run(f"shard{r}", "--shard", f"{r}/3") for r in range(3)]
by_id = {row["id"]: row for row in whole}
seen = set()
for r, rows in enumerate(shards):
    devices = sorted({int(row["device"]) for row in rows})
    expected = {0: [0, 1], 1: [2, 3], 2: [4, 5, 6]}[r]
    assert devices == expected, (r, devices, expected)
    for row in rows:
        assert row["id"] not in seen, ("twice", row["id"])
        seen.add(row["id"])
        assert by_id.get(row["id"]) == row, ("differs", row, by_id.get(row["id"]))
assert seen == set(by_id), ("missing from the shards", len(set(by_id) - seen))

# What cannot be sharded is refused with exit code 3, naming the scenario and field.
refused = subprocess.run([edgetwin, "run", scenario, "--traces", traces, "--quiet", "--out",
                          os.path.join(work, "refused"), "--shard", "0/3"], capture_output=True, text=True)
assert refused.returncode == 3, refused
assert "/platform/clouds: 1 cloud server(s) cannot be partitioned over 3 shards" in refused.stderr, refused.stderr
print(f"SAME: {len(seen)} requests of 7 devices over 3 shards")
