#!/usr/bin/python3
"""Markdown tables from an EdgeTwin sweep results database, one per sweep group.

    /usr/bin/python3 plots/report.py results.sqlite [--by AXIS] [--baseline VALUE] [--metrics ...]

A row per value of the --by axis and combination of the other non-seed axes: n done seeds, and per
metric the mean ± 95 % confidence half-width over seeds (Student t) and the relative change of the
mean against the baseline row with the same other axes ("-26.1 %"). Failed and unfinished runs
are counted and listed under each table. See docs/plots.md.
"""

import argparse
import math
import os
import sys
from dataclasses import dataclass

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import edgetwin_results as er  # noqa: E402


@dataclass
class Row:
    by_label: str
    rest: tuple
    n: int
    stats: dict      # metric -> Stat
    changes: dict    # metric -> relative change against the baseline row (NaN if none)
    is_baseline: bool


@dataclass
class Table:
    group: er.Group
    by: str
    baseline: str | None
    metrics: list
    rows: list
    failed: list     # failed runs
    unfinished: list  # pending or running runs


def tables(results, by=None, metrics=None, baseline=None, where=()):
    """The report's numbers: one Table per sweep group that has the --by axis."""
    where = er.parse_where(results, where)
    by = er.resolve_by(results, by)
    metrics = er.resolve_metrics(results, metrics, option="--metrics")
    groups = [g for g in er.groups(results, where) if by in g.axes]
    er.require_done(results, groups)
    baseline = er.resolve_baseline(results, groups, by, baseline)
    out = []
    for g in groups:
        cells = er.cells(g, by, metrics)
        rests = list(dict.fromkeys(c.rest for c in cells))
        rows = []
        for rest in rests:  # rows of one combination of the other axes together
            for c in (c for c in cells if c.rest == rest):
                base = er.baseline_cell(cells, c, baseline) if baseline is not None else None
                changes = {m: er.relative_change(c.stats[m].mean, base.stats[m].mean)
                           if base is not None else math.nan for m in metrics}
                rows.append(Row(c.by_label, c.rest, len(c.done), c.stats, changes,
                                base is c))
        runs = g.runs
        out.append(Table(g, by, baseline, metrics, rows,
                         [r for r in runs if r.status == "failed"],
                         [r for r in runs if r.status in ("pending", "running")]))
    return out


def fmt_number(x, digits=4):
    if x is None or math.isnan(x):
        return "—"
    return f"{x:.{digits}g}"


def fmt_change(x):
    """0.261 -> "+26.1 %", -0.261 -> "-26.1 %"."""
    if math.isnan(x):
        return "—"
    pct = round(100.0 * x, 1)
    return "0.0 %" if pct == 0 else f"{pct:+.1f} %"


def fmt_stat(s, metric):
    """Mean (4 significant digits) ± half-width (2), in the unit of metric_unit (rates in %)."""
    if s.n == 0:
        return "—"
    _, factor = er.metric_unit(metric)
    if math.isnan(s.half_width):
        return fmt_number(s.mean * factor)
    return f"{fmt_number(s.mean * factor)} ± {fmt_number(s.half_width * factor, 2)}"


def markdown(table):
    g, by, metrics = table.group, table.by, table.metrics
    rest_axes = [a for a, _ in table.rows[0].rest] if table.rows else []
    vs = f"vs {table.baseline}" if table.baseline is not None else "change"
    lines = [f"## {g.title}: by {by}, baseline {table.baseline}"
             + (" (SYNTHETIC traces)" if g.synthetic else ""), ""]
    header = [by] + rest_axes + ["n"]
    for m in metrics:
        unit, _ = er.metric_unit(m)
        header += [f"{m} ({unit})" if unit else m, vs]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * (1 + len(rest_axes)) + ["---:"] * (1 + 2 * len(metrics)))
                 + "|")
    for row in table.rows:
        cols = [row.by_label] + [er.value_label(v) for _, v in row.rest] + [str(row.n)]
        for m in metrics:
            cols += [fmt_stat(row.stats[m], m),
                     "baseline" if row.is_baseline else fmt_change(row.changes[m])]
        lines.append("| " + " | ".join(cols) + " |")
    lines.append("")
    lines.append("mean ± 95 % confidence half-width over seeds (Student t, n - 1 degrees of "
                 f"freedom); relative change of the mean against the {by} = {table.baseline} row "
                 "with the same other axes.")
    done = sum(1 for r in g.runs if r.status == "done")
    lines.append(f"{done} done, {len(table.failed)} failed, {len(table.unfinished)} "
                 "pending or running runs.")
    for title, runs in (("failed", table.failed), ("not finished", table.unfinished)):
        if runs:
            lines += ["", f"{len(runs)} {title} run{'s' if len(runs) != 1 else ''}:"]
            lines += [_run_line(r) for r in runs]
    return "\n".join(lines) + "\n"


def _run_line(run):
    axes = ", ".join(f"{a}={er.value_label(v)}" for a, v in run.axes.items())
    line = f"- `{run.run_id}` {axes}{', ' if axes else ''}seed {run.seed}, {run.status}"
    if run.exit_code is not None:
        line += f", exit code {run.exit_code}"
    if run.error:
        line += ": " + " / ".join(x.strip() for x in run.error.strip().splitlines()[-3:])
    return line


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="report.py",
        description="Markdown tables (one per sweep group) of seed means with 95 % confidence "
                    "intervals and relative changes against a baseline. Exit codes: 0 success, "
                    "2 bad command line, 3 unreadable or empty database. See docs/plots.md.")
    p.add_argument("database", help="results database written by `edgetwin sweep`")
    p.add_argument("--by", metavar="AXIS", help="axis whose values are compared (default: "
                   "'policy' if it is an axis, else the first axis)")
    p.add_argument("--baseline", metavar="VALUE", help="value of the --by axis the relative "
                   "changes refer to (default: its first value in sweep order)")
    p.add_argument("--metrics", "--metric", nargs="+", metavar="NAME", help="metric columns "
                   "(space- or comma-separated; default: energy_per_request_j latency_p95_s "
                   "slo_violation_rate throughput_rps)")
    p.add_argument("--where", nargs="+", metavar="AXIS=VALUE", help="keep only runs with these "
                   "axis values")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        results = er.load(args.database)
        out = tables(results, args.by, args.metrics, args.baseline, args.where)
    except er.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    sys.stdout.write("\n".join(markdown(t) for t in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
