#!/usr/bin/python3
"""Compares two result folders of `edgetwin run` (the local-time fast path against the
per-activity path, docs/simulation.md): every summary.json number within 1e-9 relative (or
1e-12 absolute), every requests.csv row (matched by id) and every timeline.csv row (matched by
device and sample time) cell by cell with the same tolerance. Exit code 0 = same results.

    compare_results.py DIR_A DIR_B
"""
import csv
import json
import math
import os
import sys


def close(a, b):
    return abs(a - b) <= max(1e-12, 1e-9 * max(abs(a), abs(b)))


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def compare_json(a, b, where, errors):
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            errors.append(f"{where}: keys {sorted(a)} vs {sorted(b)}")
            return
        for key in a:
            compare_json(a[key], b[key], f"{where}/{key}", errors)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not close(float(a), float(b)):
            errors.append(f"{where}: {a} vs {b}")
    elif a != b:
        errors.append(f"{where}: {a!r} vs {b!r}")


def compare_rows(a, b, where, errors):
    for column in a:
        x, y = a[column], b.get(column)
        if x == y:
            continue
        nx, ny = number(x), number(y) if y is not None else None
        if nx is None or ny is None or not close(nx, ny):
            errors.append(f"{where} {column}: {x} vs {y}")


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    a_dir, b_dir = sys.argv[1], sys.argv[2]
    errors = []
    with open(os.path.join(a_dir, "summary.json")) as fa, open(os.path.join(b_dir, "summary.json")) as fb:
        compare_json(json.load(fa), json.load(fb), "summary.json", errors)
    ra = {r["id"]: r for r in read(os.path.join(a_dir, "requests.csv"))}
    rb = {r["id"]: r for r in read(os.path.join(b_dir, "requests.csv"))}
    if sorted(ra) != sorted(rb):
        errors.append(f"requests.csv: {len(ra)} vs {len(rb)} requests, ids differ")
    else:
        for rid in ra:
            compare_rows(ra[rid], rb[rid], f"request {rid}", errors)
    key = lambda r: (int(r["device"]), float(r["time_s"]))
    ta = sorted(read(os.path.join(a_dir, "timeline.csv")), key=key)
    tb = sorted(read(os.path.join(b_dir, "timeline.csv")), key=key)
    if len(ta) != len(tb):
        errors.append(f"timeline.csv: {len(ta)} vs {len(tb)} rows")
    else:
        for i, (x, y) in enumerate(zip(ta, tb)):
            compare_rows(x, y, f"timeline row {i}", errors)
    for e in errors[:20]:
        print(e)
    print(f"{'DIFFERENT' if errors else 'SAME'}: {len(ra)} requests, {len(ta)} timeline rows, {len(errors)} differences")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
