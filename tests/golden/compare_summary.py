#!/usr/bin/python3
"""Compares a summary.json of `edgetwin run` with its golden copy (tests/golden/README.md).

usage: compare_summary.py GOLDEN ACTUAL

Walks both JSON documents together and requires:
  - objects: the same keys (order ignored), every value compared recursively;
  - arrays: the same length, items compared in order;
  - strings, booleans and nulls: equal;
  - numbers (integers and floats alike, never booleans): equal within
        |a - b| <= max(ABS_TOL, REL_TOL * max(|a|, |b|)),  REL_TOL = 1e-9, ABS_TOL = 1e-12
    (1e-9 relative; 1e-12 absolute for values near zero). A number never equals a non-number.
Keys listed in IGNORED_POINTERS are skipped in both documents (see there why each is). Prints
every differing JSON pointer with both values; exit code 0 = same results, 1 = different,
2 = a file is missing or is not JSON.
"""
import json
import math
import re
import sys

REL_TOL = 1e-9
ABS_TOL = 1e-12

# JSON pointers (regular expressions over the whole pointer) of run-specific values: wall-clock
# times, absolute paths, versions, commit hashes. summary.json (sim/src/simulation.cpp,
# run_simulation(); per group and overall: sim/src/metrics.cpp, summarize()) has none today: its
# keys are scenario, seed, duration_s, simulated_end_s, synthetic_traces, overall and groups, all
# functions of the scenario and seed (two runs of one seed are byte-identical:
# cli.run_is_deterministic). So the list is empty. `edgetwin run` prints the wall time but does
# not write it; were one added (e.g. "wall_s", "edgetwin_version"), list it here and in README.md.
IGNORED_POINTERS = []


def ignored(pointer):
    return any(re.fullmatch(p, pointer) for p in IGNORED_POINTERS)


def escape(key):
    return key.replace("~", "~0").replace("/", "~1")


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def close(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= max(ABS_TOL, REL_TOL * max(abs(a), abs(b)))


def show(x):
    return json.dumps(x, sort_keys=True) if not isinstance(x, (dict, list)) else type(x).__name__


def compare(golden, actual, pointer, diffs):
    """Appends to `diffs` one line per difference below `pointer` ("" = the whole document)."""
    if ignored(pointer):
        return
    if isinstance(golden, dict) and isinstance(actual, dict):
        for key in sorted(set(golden) | set(actual)):
            sub = f"{pointer}/{escape(key)}"
            if ignored(sub):
                continue
            if key not in actual:
                diffs.append(f"{sub}: golden {show(golden[key])}, actual: missing")
            elif key not in golden:
                diffs.append(f"{sub}: golden: missing, actual {show(actual[key])}")
            else:
                compare(golden[key], actual[key], sub, diffs)
    elif isinstance(golden, list) and isinstance(actual, list):
        if len(golden) != len(actual):
            diffs.append(f"{pointer}: golden has {len(golden)} items, actual {len(actual)}")
        for i, (g, a) in enumerate(zip(golden, actual)):
            compare(g, a, f"{pointer}/{i}", diffs)
    elif is_number(golden) and is_number(actual):
        if not close(float(golden), float(actual)):
            rel = abs(golden - actual) / max(abs(golden), abs(actual))
            diffs.append(f"{pointer}: golden {golden!r}, actual {actual!r} (relative difference {rel:.3g})")
    elif type(golden) is not type(actual) or golden != actual:
        diffs.append(f"{pointer or '(document)'}: golden {show(golden)}, actual {show(actual)}")


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare_summary.py: {path}: {e}")
        sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    golden, actual = load(sys.argv[1]), load(sys.argv[2])
    diffs = []
    compare(golden, actual, "", diffs)
    if diffs:
        print(f"DIFFERENT: {len(diffs)} value(s) of {sys.argv[2]} differ from {sys.argv[1]} "
              f"(tolerance {REL_TOL:g} relative, {ABS_TOL:g} absolute):")
        for d in diffs:
            print("  " + d)
        print("If the change of results is intended, run scripts/update-golden and say why in the commit.")
        return 1
    print(f"SAME: {sys.argv[2]} matches {sys.argv[1]} (tolerance {REL_TOL:g} relative, {ABS_TOL:g} absolute)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
