"""Sharding (docs/performance.md "Sharding"): a scenario of independent devices simulated whole
and as K shards (`edgetwin run --shard R/K`, separate processes) gives every request the same
row of requests.csv, the shards together hold every request exactly once, and `edgetwin merge`
gives the whole run's summary (up to the rounding of sums taken in another order), timeline
(but the samples after a shard's own end) and slots. A merge of an incomplete set of shards is refused (exit code 3).

usage: shards.py EDGETWIN SOURCE_DIR TRACES_DIR WORK_DIR [MPIEXEC]
With MPIEXEC, the same through `MPIEXEC -np 3 edgetwin run FILE --mpi`.
"""
import csv
import json
import math
import os
import shutil
import subprocess
import sys

edgetwin, src, traces, work = sys.argv[1:5]
mpiexec = sys.argv[5] if len(sys.argv) > 5 else None
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
quickstart = os.path.join(src, "scenarios", "quickstart.json")
serving = os.path.join(src, "scenarios", "examples", "serving.json")
# Seven devices (blocks of 2, 2, 3 over three shards), no cloud: nothing crosses shards.
edge = [quickstart, "--set", "/platform/clouds=[]", "--set", "/platform/groups/0/count=7", "--set", "/duration_s=5",
        "--traces", traces, "--quiet"]
# Four serving devices (per-model summaries, utility, slots.csv) over two shards.
served = [serving, "--set", "/platform/groups/0/count=4", "--set", "/duration_s=6", "--traces", traces, "--quiet"]


def rows(folder, name="requests.csv"):
    with open(os.path.join(folder, name)) as f:
        return list(csv.DictReader(f))


def run(out, args, *extra):
    subprocess.run([edgetwin, "run", *args, "--out", out, *extra], check=True, stdout=subprocess.DEVNULL)
    return rows(out)


def same_numbers(a, b, path):
    """Equal structure; numbers equal up to 1e-9 relative (sums over shards add in another order)."""
    if isinstance(a, dict):
        assert set(a) == set(b), (path, sorted(set(a) ^ set(b)))
        for k in a:
            same_numbers(a[k], b[k], path + "/" + k)
    elif isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, (int, float)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (path, a, b)
    else:
        assert a == b, (path, a, b)


def same_csv_numbers(a, b, name):
    assert len(a) == len(b), (name, len(a), len(b))
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for k in x:
            try:
                ok = math.isclose(float(x[k]), float(y[k]), rel_tol=1e-9)
            except ValueError:
                ok = x[k] == y[k]
            assert ok, (name, k, x, y)


def check_merged(whole_dir, merged_dir, k):
    whole = json.load(open(os.path.join(whole_dir, "summary.json")))
    merged = json.load(open(os.path.join(merged_dir, "summary.json")))
    assert merged.pop("shards") == k
    same_numbers(whole, merged, "summary.json")
    a, b = rows(whole_dir), rows(merged_dir)
    assert sorted(map(lambda r: tuple(r.items()), a)) == sorted(map(lambda r: tuple(r.items()), b)), "requests.csv"
    # The timeline: the same rows (the shards' blocks one after the other), except the samples a
    # device's shard did not take because it had ended (drained) before them.
    ta, tb = rows(whole_dir, "timeline.csv"), rows(merged_dir, "timeline.csv")
    ends = {}
    for r in range(k):
        shard_dir = os.path.join(merged_dir, "shards", str(r))
        end = json.load(open(os.path.join(shard_dir, "summary.json")))["simulated_end_s"]
        for row in rows(shard_dir, "timeline.csv"):
            ends[int(row["device"])] = end
    key = lambda r: (float(r["time_s"]), int(r["device"]))
    present = {key(r) for r in tb}
    for row in ta:
        if key(row) not in present:
            assert float(row["time_s"]) > ends[int(row["device"])], ("timeline row missing", row)
    same_csv_numbers(sorted((r for r in ta if key(r) in present), key=key), sorted(tb, key=key), "timeline.csv")
    if os.path.exists(os.path.join(whole_dir, "slots.csv")):
        same_csv_numbers(rows(whole_dir, "slots.csv"), rows(merged_dir, "slots.csv"), "slots.csv")


# 1. Shards by hand, then `edgetwin merge`.
whole = run(os.path.join(work, "whole"), edge)
shards = [run(os.path.join(work, "sharded", "shards", str(r)), edge, "--shard", f"{r}/3") for r in range(3)]
by_id = {row["id"]: row for row in whole}
seen = set()
for r, shard_rows in enumerate(shards):
    devices = sorted({int(row["device"]) for row in shard_rows})
    expected = {0: [0, 1], 1: [2, 3], 2: [4, 5, 6]}[r]
    assert devices == expected, (r, devices, expected)
    for row in shard_rows:
        assert row["id"] not in seen, ("twice", row["id"])
        seen.add(row["id"])
        assert by_id.get(row["id"]) == row, ("differs", row, by_id.get(row["id"]))
assert seen == set(by_id), ("missing from the shards", len(set(by_id) - seen))
merge = subprocess.run([edgetwin, "merge", os.path.join(work, "sharded")], capture_output=True, text=True)
assert merge.returncode == 0, merge
assert "merged 3 shards of scenario 'quickstart': 7 devices" in merge.stdout, merge.stdout
check_merged(os.path.join(work, "whole"), os.path.join(work, "sharded"), 3)

run(os.path.join(work, "served_whole"), served)
for r in range(2):
    run(os.path.join(work, "served", "shards", str(r)), served, "--shard", f"{r}/2")
subprocess.run([edgetwin, "merge", os.path.join(work, "served"), "--quiet"], check=True)
check_merged(os.path.join(work, "served_whole"), os.path.join(work, "served"), 2)

# 2. An incomplete set of shards is refused, naming the missing one.
os.remove(os.path.join(work, "sharded", "shards", "1", "shard.json"))
refused = subprocess.run([edgetwin, "merge", os.path.join(work, "sharded")], capture_output=True, text=True)
assert refused.returncode == 3, refused
assert "shard(s) 1 of 3 missing or unfinished" in refused.stderr, refused.stderr

# 3. What cannot be sharded is refused with exit code 3, naming the scenario and field.
refused = subprocess.run([edgetwin, "run", quickstart, "--traces", traces, "--quiet", "--out",
                          os.path.join(work, "refused"), "--shard", "0/3"], capture_output=True, text=True)
assert refused.returncode == 3, refused
assert "/platform/clouds: 1 cloud server(s) cannot be partitioned over 3 shards" in refused.stderr, refused.stderr

# 4. The same over MPI ranks: `mpirun -np K edgetwin run FILE --mpi` runs the shards and merges.
if mpiexec:
    mpi = [mpiexec, "--allow-run-as-root", "--oversubscribe", "-np", "3", edgetwin, "run"]
    out = os.path.join(work, "mpi")
    p = subprocess.run([*mpi, *edge, "--mpi", "--out", out], capture_output=True, text=True)
    assert p.returncode == 0, p
    assert "merged 3 shards" in p.stdout, p.stdout
    check_merged(os.path.join(work, "whole"), out, 3)
    # A scenario the ranks cannot share: every shard fails, nothing is merged, exit code 3.
    out = os.path.join(work, "mpi_refused")
    p = subprocess.run([*mpi, quickstart, "--traces", traces, "--quiet", "--mpi", "--out", out],
                       capture_output=True, text=True)
    assert p.returncode == 3, p
    assert "failed: nothing merged" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(out, "summary.json"))
    print(f"SAME over MPI: {len(seen)} requests of 7 devices over 3 ranks")
print(f"SAME: {len(seen)} requests of 7 devices over 3 shards, merged; serving over 2 shards, merged")
