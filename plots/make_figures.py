#!/usr/bin/python3
"""Figures from an EdgeTwin sweep results database.

    /usr/bin/python3 plots/make_figures.py results.sqlite --out figs/

Per sweep group: an energy-vs-latency Pareto plot, latency CDFs, metric-vs-axis curves with 95 %
confidence intervals over seeds, and bars normalised to a baseline; plus the clock/power timeline
of one run. Every figure is written as PNG and/or SVG with its data as CSV beside it (same stem).
The numbers come from edgetwin_results (tested there); this file only draws them.
See docs/plots.md.
"""

import argparse
import csv
import math
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import edgetwin_results as er  # noqa: E402

FIGURES = ("pareto", "cdf", "curves", "bars", "timeline")
FORMATS = ("png", "svg")
CDF_MAX_POINTS = 2000


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="make_figures.py",
        description="Figures (PNG/SVG, with their data as CSV) from an EdgeTwin sweep results "
                    "database. Exit codes: 0 success, 2 bad command line, 3 unreadable or empty "
                    "database. See docs/plots.md.")
    p.add_argument("database", help="results database written by `edgetwin sweep` "
                   "(its run folders are read from DATABASE-without-extension.runs/)")
    p.add_argument("--out", help="output folder (default: DATABASE-without-extension.figs/)")
    p.add_argument("--by", metavar="AXIS", help="axis compared within a figure (default: "
                   "'policy' if it is an axis, else the first axis)")
    p.add_argument("--baseline", metavar="VALUE", help="value of the --by axis the bars are "
                   "normalised to (default: its first value in sweep order)")
    p.add_argument("--metric", nargs="+", metavar="NAME", help="metrics of the curves and bars "
                   "(space- or comma-separated; default: energy_per_request_j latency_p95_s "
                   "slo_violation_rate throughput_rps)")
    p.add_argument("--x", metavar="AXIS", help="x axis of the metric curves (default: the first "
                   "numeric axis other than --by)")
    p.add_argument("--pareto", default="energy_per_request_j,latency_p95_s", metavar="X,Y",
                   help="the two metrics of the Pareto plot, both minimised "
                   "(default: energy_per_request_j,latency_p95_s)")
    p.add_argument("--points", choices=("means", "runs"), default="means",
                   help="Pareto points: seed means per configuration (default) or every run")
    p.add_argument("--run", metavar="RUN_ID", help="run whose timeline is drawn (a unique prefix "
                   "is enough; default: the first done run)")
    p.add_argument("--devices", metavar="ID,...", help="devices of the timeline "
                   "(default: the first 4 in timeline.csv)")
    p.add_argument("--where", nargs="+", metavar="AXIS=VALUE", help="keep only runs with these "
                   "axis values")
    p.add_argument("--figures", default=",".join(FIGURES), metavar="KIND,...",
                   help=f"which figures (default: all of {','.join(FIGURES)})")
    p.add_argument("--format", default="png,svg", metavar="FMT,...",
                   help="image formats, png and/or svg (default: png,svg)")
    return p.parse_args(argv)


def _check_choice(option, text, allowed):
    chosen = er.split_names([text])
    bad = [c for c in chosen if c not in allowed]
    if bad or not chosen:
        raise er.ResultsError(f"{option} {text}: allowed values are {', '.join(allowed)}")
    return chosen


def main(argv=None):
    args = parse_args(argv)
    try:
        formats = _check_choice("--format", args.format, FORMATS)
        kinds = _check_choice("--figures", args.figures, FIGURES)
        written = make_all(args, formats, kinds)
    except er.ResultsError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    print(f"wrote {len(written)} figures ({', '.join(formats)}, with CSV data) to {args.out}")
    return 0


def make_all(args, formats, kinds):
    results = er.load(args.database)
    where = er.parse_where(results, args.where)
    by = er.resolve_by(results, args.by)
    metrics = er.resolve_metrics(results, args.metric)
    pareto_metrics = er.split_names([args.pareto])
    if len(pareto_metrics) != 2:
        raise er.ResultsError(f"--pareto {args.pareto}: expected two metrics X,Y")
    er.resolve_metrics(results, pareto_metrics, option="--pareto")
    if args.x is not None and args.x not in results.non_seed_axes():
        raise er.ResultsError(f"--x {args.x}: no such sweep axis in {results.path} "
                              f"(allowed: {', '.join(results.non_seed_axes())})")
    groups = [g for g in er.groups(results, where) if by in g.axes]
    er.require_done(results, groups)
    baseline = er.resolve_baseline(results, groups, by, args.baseline)
    timeline_run = er.find_run(results, args.run) if args.run else None
    devices = er.split_names([args.devices]) if args.devices else None

    # matplotlib only now: command-line and data errors come back without its import cost
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text (searchable, editable)
    matplotlib.rcParams["svg.hashsalt"] = "edgetwin"  # stable element ids

    if args.out is None:
        args.out = os.path.splitext(args.database)[0] + ".figs"
    os.makedirs(args.out, exist_ok=True)
    out = Output(args.out, formats)
    colours = _colours([v for g in groups for v in er.axis_values(g.runs, by)])

    for g in groups:
        cells = er.cells(g, by, metrics)
        ctx = dict(group=g, by=by, colours=colours, out=out)
        if "pareto" in kinds:
            draw_pareto(ctx, cells, *pareto_metrics, args.points)
        if "cdf" in kinds:
            draw_cdfs(ctx, cells)
        if "curves" in kinds:
            x_axis = args.x if args.x in g.axes and args.x != by else er.default_x_axis(g, by)
            if x_axis is not None:
                for m in metrics:
                    draw_curves(ctx, cells, x_axis, m)
        if "bars" in kinds:
            draw_bars(ctx, cells, metrics, baseline)
    if "timeline" in kinds:
        run = timeline_run or next(r for g in groups for r in g.runs if r.status == "done")
        draw_timeline(out, results, run, devices)
    return out.written


class Output:
    """Saves figures and their CSV data under one folder, remembering what was written."""

    def __init__(self, folder, formats):
        self.folder = folder
        self.formats = formats
        self.written = []

    def save(self, fig, stem, header, rows):
        import matplotlib.pyplot as plt
        base = os.path.join(self.folder, _slug(stem))
        for fmt in self.formats:
            fig.savefig(f"{base}.{fmt}", dpi=150,
                        metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
        with open(f"{base}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([_csv_value(v) for v in row] for row in rows)
        self.written.append(base)
        print(f"{base}.{{{','.join(self.formats + ['csv'])}}}")


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", text).strip("_")


def _csv_value(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if isinstance(v, bool):
        return int(v)
    return v


def _colours(values):
    import matplotlib
    cmap = matplotlib.colormaps["tab10"]
    out = {}
    for v in values:
        label = er.value_label(v)
        if label not in out:
            out[label] = cmap(len(out) % 10)
    return out


def _new_figure(ctx_group, title, size=(6.4, 4.4)):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    _title(fig, f"{title}\n{ctx_group.title}", ctx_group.synthetic)
    return fig, ax


def _title(fig, text, synthetic):
    """The figure title; runs on synthetic traces say so on its last line."""
    fig.suptitle(text + (" (SYNTHETIC traces)" if synthetic else ""), fontsize=10)


def _auto_log(ax, which, values, ratio=100.0):
    """Log scale on one axis when positive values span at least `ratio` (e.g. CDFs in which one
    policy's latencies are 1000 times another's)."""
    values = [v for v in values if not math.isnan(v)]
    if values and min(values) > 0 and max(values) / min(values) >= ratio:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def _scaled(values, metric):
    _, factor = er.metric_unit(metric)
    return [v * factor for v in values]


def _rest_header(rest):
    return [a for a, _ in rest]


def _rest_values(rest):
    return [er.value_label(v) for _, v in rest]


def draw_pareto(ctx, cells, x_metric, y_metric, points):
    g, by = ctx["group"], ctx["by"]
    pts = er.pareto_points(cells, x_metric, y_metric, points)
    pts = [p for p in pts if not (math.isnan(p.x) or math.isnan(p.y))]
    if not pts:
        return
    fig, ax = _new_figure(g, f"{er.axis_title(y_metric)} vs {er.axis_title(x_metric)} "
                          f"by {by} (points: {'seed means' if points == 'means' else 'runs'})")
    rests = []
    for p in pts:
        if p.rest not in rests:
            rests.append(p.rest)
    markers = "osD^v<>Pp*hX"
    for label in {p.by_label: None for p in pts}:
        for i, rest in enumerate(rests):
            mine = [p for p in pts if p.by_label == label and p.rest == rest]
            if not mine:
                continue
            xs, ys = _scaled([p.x for p in mine], x_metric), _scaled([p.y for p in mine], y_metric)
            ax.scatter(xs, ys, color=ctx["colours"][label], marker=markers[i % len(markers)],
                       label=label if i == 0 else None, zorder=3)
    front = sorted((p for p in pts if p.on_front), key=lambda p: (p.x, p.y))
    fx, fy = _scaled([p.x for p in front], x_metric), _scaled([p.y for p in front], y_metric)
    ax.plot(fx, fy, drawstyle="steps-post", color="black", linewidth=1, zorder=2,
            label="Pareto front")
    ax.scatter(fx, fy, s=140, facecolors="none", edgecolors="black", zorder=4)
    if 1 < len(rests) <= len(markers):
        for i, rest in enumerate(rests):
            ax.scatter([], [], color="grey", marker=markers[i], label=er.rest_label(rest))
    _auto_log(ax, "x", [p.x for p in pts])
    _auto_log(ax, "y", [p.y for p in pts])
    ax.set_xlabel(er.axis_title(x_metric))
    ax.set_ylabel(er.axis_title(y_metric))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    header = [by] + _rest_header(rests[0]) + ["seed", "n", x_metric, y_metric,
                                              f"{x_metric}_ci95", f"{y_metric}_ci95",
                                              "on_front", f"on_front_of_{by}", "run_id"]
    rows = [[p.by_label] + _rest_values(p.rest) + [p.seed if p.seed is not None else "", p.n,
            p.x, p.y, p.x_half_width, p.y_half_width, p.on_front, p.on_value_front,
            p.run_id or ""] for p in pts]
    ctx["out"].save(fig, f"pareto-{g.sweep_name}-{g.name}", header, rows)


def draw_cdfs(ctx, cells):
    g, by = ctx["group"], ctx["by"]
    curves = er.latency_cdfs(cells, "latency_s", CDF_MAX_POINTS)
    for c in curves:
        for run_id, reason in c.missing:
            print(f"warning: {reason}; run {run_id} left out of the latency CDF", file=sys.stderr)
    rests = []
    for c in curves:
        if c.rest not in rests:
            rests.append(c.rest)
    for rest in rests:
        mine = [c for c in curves if c.rest == rest and c.n_values]
        if not mine:
            continue
        title = f"latency CDF by {by}" + (f" ({er.rest_label(rest)})" if rest else "")
        fig, ax = _new_figure(g, title)
        for c in mine:
            ax.plot(c.xs, c.ps, drawstyle="steps-post", color=ctx["colours"][c.by_label],
                    label=f"{c.by_label} ({c.n_values} requests, {len(c.run_ids)} runs)")
        _auto_log(ax, "x", [x for c in mine for x in c.xs])
        ax.set_xlabel(er.axis_title("latency_s"))
        ax.set_ylabel("fraction of requests")
        ax.set_ylim(0, 1.02)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        rows = [[c.by_label] + _rest_values(rest) + [x, p] for c in mine for x, p in zip(c.xs, c.ps)]
        suffix = "-" + "-".join(f"{a}={er.value_label(v)}" for a, v in rest) if rest else ""
        ctx["out"].save(fig, f"cdf-{g.sweep_name}-{g.name}{suffix}",
                        [by] + _rest_header(rest) + ["latency_s", "fraction"], rows)


def draw_curves(ctx, cells, x_axis, metric):
    g, by = ctx["group"], ctx["by"]
    curves = [c for c in er.metric_curves(cells, x_axis, metric) if c.points]
    if not curves:
        return
    rests = []
    for c in curves:
        if c.rest not in rests:
            rests.append(c.rest)
    numeric_x = all(isinstance(p.x, float) for c in curves for p in c.points)
    x_unit, x_factor = er.metric_unit(x_axis) if numeric_x else ("", 1.0)
    for rest in rests:
        mine = [c for c in curves if c.rest == rest]
        title = f"{er.axis_title(metric)} vs {x_axis} by {by}, mean and 95 % CI over seeds" + \
            (f"\n{er.rest_label(rest)}" if rest else "")
        fig, ax = _new_figure(g, title)
        categories = [er.value_label(p.x) for c in mine for p in c.points]
        categories = list(dict.fromkeys(categories))
        for c in mine:
            xs = [p.x * x_factor for p in c.points] if numeric_x else \
                [categories.index(er.value_label(p.x)) for p in c.points]
            ys = _scaled([p.mean for p in c.points], metric)
            errs = [0.0 if math.isnan(h) else h for h in _scaled([p.half_width for p in c.points],
                                                                   metric)]
            ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, color=ctx["colours"][c.by_label],
                        label=c.by_label)
        if numeric_x:
            _auto_log(ax, "x", [p.x for c in mine for p in c.points])
            ax.set_xlabel(er.axis_title(x_axis) if x_unit else x_axis.replace("_", " "))
        else:
            ax.set_xticks(range(len(categories)), categories)
            ax.set_xlabel(x_axis.replace("_", " "))
        ax.set_ylabel(er.axis_title(metric))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        rows = [[c.by_label] + _rest_values(rest) + [er.value_label(p.x), p.mean, p.half_width, p.n]
                for c in mine for p in c.points]
        suffix = "-" + "-".join(f"{a}={er.value_label(v)}" for a, v in rest) if rest else ""
        ctx["out"].save(fig, f"curve-{g.sweep_name}-{g.name}-{metric}-vs-{x_axis}{suffix}",
                        [by] + _rest_header(rest) + [x_axis, f"{metric}_mean", f"{metric}_ci95",
                                                     "n"], rows)


def draw_bars(ctx, cells, metrics, baseline):
    g, by = ctx["group"], ctx["by"]
    if baseline is None:
        return
    bars = er.normalised_bars(cells, metrics, baseline)
    rests = []
    for c in cells:
        if c.rest not in rests:
            rests.append(c.rest)
    for rest in rests:
        mine = [b for b in bars if b.rest == rest and not math.isnan(b.ratio)]
        if not mine:
            continue
        labels = list(dict.fromkeys(b.by_label for b in mine))
        title = f"{by} relative to baseline {baseline}, mean and 95 % CI over seeds" + \
            (f"\n{er.rest_label(rest)}" if rest else "")
        fig, ax = _new_figure(g, title, size=(max(6.4, 1.6 * len(metrics) + 2), 4.4))
        width = 0.8 / len(labels)
        for i, label in enumerate(labels):
            xs, hs, es = [], [], []
            for k, m in enumerate(metrics):
                b = next((b for b in mine if b.by_label == label and b.metric == m), None)
                if b is None:
                    continue
                xs.append(k - 0.4 + width * (i + 0.5))
                hs.append(b.ratio)
                es.append(0.0 if math.isnan(b.ratio_half_width) else b.ratio_half_width)
            ax.bar(xs, hs, width, yerr=es, capsize=3, color=ctx["colours"][label], label=label)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks(range(len(metrics)), [er.axis_title(m) for m in metrics], fontsize=8)
        ax.set_ylabel(f"relative to {baseline} (1 = baseline mean)")
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7)
        rows = [[b.by_label] + _rest_values(rest) + [b.metric, b.mean, b.half_width, b.n,
                b.baseline_mean, b.ratio, b.ratio_half_width] for b in mine]
        suffix = "-" + "-".join(f"{a}={er.value_label(v)}" for a, v in rest) if rest else ""
        ctx["out"].save(fig, f"bars-{g.sweep_name}-{g.name}{suffix}",
                        [by] + _rest_header(rest) + ["metric", "mean", "ci95", "n",
                                                     "baseline_mean", "ratio", "ratio_ci95"], rows)


def draw_timeline(out, results, run, devices):
    import matplotlib.pyplot as plt
    data = er.timeline(run, devices)
    panels = er.TIMELINE_COLUMNS
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(7, 8), layout="constrained")
    axes_text = ", ".join(f"{a}={er.value_label(v)}" for a, v in run.axes.items())
    _title(fig, f"clocks and power per device, run {run.run_id} (seed {run.seed})\n"
           f"sweep '{run.sweep_name}', group '{run.group}'"
           + (f": {axes_text}" if axes_text else ""), run.synthetic)
    for ax, col in zip(axes, panels):
        for dev, series in data.items():
            # A row holds the clocks sampled at time_s and the mean power over the interval that
            # ends there (the first one starts at 0): drawn as a step over that interval.
            xs = [0.0] + series["time_s"]
            ys = _scaled(series[col], col)
            ax.plot(xs, ys[:1] + ys, drawstyle="steps-pre", label=f"device {dev}")
        ax.set_ylabel(er.axis_title(col).replace("cpu", "CPU").replace("gpu", "GPU")
                      .replace("emc", "EMC"), fontsize=8)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7, ncol=min(4, len(data)))
    axes[-1].set_xlabel(er.axis_title("time_s"))
    rows = [[dev, *(series[c][i] for c in ("time_s",) + panels)]
            for dev, series in data.items() for i in range(len(series["time_s"]))]
    out.save(fig, f"timeline-{run.run_id}", ["device", "time_s", *panels], rows)


if __name__ == "__main__":
    sys.exit(main())
