"""Reading an EdgeTwin sweep results database (schema_version 1) and computing what the figures
and reports show: runs pivoted by sweep axes, seed statistics with Student-t 95 % confidence
intervals, Pareto fronts, latency CDFs and values normalised to a baseline.

Every function here returns plain data (lists, dicts, small dataclasses) and draws nothing, so the
numbers behind a figure or a report can be tested and written to CSV. Only the standard library
and the csv/sqlite3 modules are used (no numpy, pandas or scipy).

Errors a user can cause (a missing or foreign database, an unknown axis, metric or baseline, no
finished runs) raise ResultsError, whose message is one line naming the file or the option and
what is allowed, and whose exit_code follows the edgetwin convention (2 bad command line,
3 malformed data file).
"""

import csv
import json
import math
import os
import sqlite3
from dataclasses import dataclass, field

SCHEMA_VERSION = "1"
EXIT_USAGE = 2  # bad command line: unknown axis, metric, baseline, run id
EXIT_DATA = 3   # unreadable, foreign or empty database

# Columns of `runs` that are bookkeeping, not metrics (see the database contract).
RUN_FIXED_COLUMNS = (
    "run_id", "sweep_id", "run_index", "sweep_group", "seed", "status", "error", "exit_code",
    "attempts", "scenario_json", "out_dir", "started_at", "finished_at", "wall_s", "worker",
    "synthetic_traces",
)
DEFAULT_METRICS = ("energy_per_request_j", "latency_p95_s", "slo_violation_rate", "throughput_rps")
SEED_AXIS_NAMES = ("seed", "seeds")


class ResultsError(Exception):
    """A user-facing error: one line, and the process exit code to use."""

    def __init__(self, message, exit_code=EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------------------------
# Loading


@dataclass
class Run:
    run_id: str
    sweep_id: str
    sweep_name: str
    group: str          # the sweep group ("all" when the sweep has no groups)
    run_index: int
    seed: int
    status: str         # pending | running | done | failed
    error: str | None
    exit_code: int | None
    out_dir: str | None  # absolute path of the run folder (done runs), else None
    synthetic: bool
    metrics: dict       # metric name -> float or None
    axes: dict          # axis name -> value (float for numbers, str otherwise)


@dataclass
class Results:
    path: str
    runs: list           # every run, in sweep order then run_index
    metric_names: list   # metric columns of `runs`, in table order
    axis_names: list     # sweep axes in their first-seen order (seed axes included)
    seed_axes: set       # axes that only vary the seed

    def non_seed_axes(self):
        return [a for a in self.axis_names if a not in self.seed_axes]


def load(path):
    """Reads the whole database at `path` (read-only). Raises ResultsError (exit 3) when the file
    is missing, is not SQLite, is not an EdgeTwin results database or has another schema."""
    if not os.path.isfile(path):
        raise ResultsError(f"{path}: no such file (expected an EdgeTwin results database, "
                           "e.g. results.sqlite written by `edgetwin sweep`)", EXIT_DATA)
    try:
        db = sqlite3.connect(f"file:{_uri_path(path)}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise ResultsError(f"{path}: cannot open as SQLite: {e}", EXIT_DATA) from None
    try:
        return _read(db, path)
    except sqlite3.DatabaseError as e:
        raise ResultsError(f"{path}: not an EdgeTwin results database ({e})", EXIT_DATA) from None
    finally:
        db.close()


def _uri_path(path):
    return os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def _read(db, path):
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for needed in ("meta", "sweeps", "runs", "run_axes"):
        if needed not in tables:
            raise ResultsError(f"{path}: not an EdgeTwin results database (no table '{needed}'; "
                               "expected meta, sweeps, runs, run_axes)", EXIT_DATA)
    meta = dict(db.execute("SELECT key, value FROM meta"))
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(f"{path}: meta schema_version is {version!r}, this script reads "
                           f"schema_version {SCHEMA_VERSION}", EXIT_DATA)

    sweep_rows = db.execute("SELECT sweep_id, name FROM sweeps ORDER BY created_at, rowid")
    sweep_order = {}
    sweep_names = {}
    for sid, name in sweep_rows:
        sweep_order[sid] = len(sweep_order)
        sweep_names[sid] = name

    columns = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    metric_names = [c for c in columns if c not in RUN_FIXED_COLUMNS]
    has_synthetic = "synthetic_traces" in columns
    base = os.path.dirname(os.path.abspath(path))

    runs = []
    cur = db.execute("SELECT * FROM runs")
    names = [d[0] for d in cur.description]
    for row in cur:
        r = dict(zip(names, row))
        out_dir = None
        if r["status"] == "done" and r.get("out_dir"):
            out_dir = os.path.normpath(os.path.join(base, r["out_dir"]))
        runs.append(Run(
            run_id=r["run_id"], sweep_id=r["sweep_id"],
            sweep_name=sweep_names.get(r["sweep_id"], r["sweep_id"]), group=r["sweep_group"],
            run_index=r["run_index"], seed=r["seed"], status=r["status"], error=r.get("error"),
            exit_code=r.get("exit_code"), out_dir=out_dir,
            synthetic=bool(has_synthetic and r.get("synthetic_traces")),
            metrics={m: (None if r[m] is None else float(r[m])) for m in metric_names},
            axes={}))
    runs.sort(key=lambda run: (sweep_order.get(run.sweep_id, len(sweep_order)), run.run_index))
    by_id = {run.run_id: run for run in runs}

    axis_first_seen = {}
    seed_pointer_axes = set()
    axis_rows = db.execute(
        "SELECT run_id, axis, pointer, value_json, value_num, value_text FROM run_axes ORDER BY rowid")
    for run_id, axis, pointer, value_json, value_num, value_text in axis_rows:
        run = by_id.get(run_id)
        if run is None:
            continue
        run.axes[axis] = _axis_value(value_json, value_num, value_text)
        position = (sweep_order.get(run.sweep_id, 0), run.run_index, len(axis_first_seen))
        if axis not in axis_first_seen or position < axis_first_seen[axis]:
            axis_first_seen[axis] = position
        if pointer == "/seed":
            seed_pointer_axes.add(axis)
    axis_names = sorted(axis_first_seen, key=lambda a: axis_first_seen[a])
    seed_axes = seed_pointer_axes | {a for a in axis_names if a in SEED_AXIS_NAMES}
    return Results(path=path, runs=runs, metric_names=metric_names, axis_names=axis_names,
                   seed_axes=seed_axes)


def _axis_value(value_json, value_num, value_text):
    if value_text is not None:
        return value_text
    if value_num is not None:
        return float(value_num)
    return value_json  # objects, arrays, booleans, null: shown as their JSON text


def value_label(value):
    """How an axis value is printed: numbers in %g form (integers without a decimal point)."""
    if value is None:
        return "(unset)"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:g}"
    return str(value)


def value_matches(value, text):
    """True when the command-line text `text` names the axis value `value` (label, number or JSON)."""
    if value_label(value) == text:
        return True
    if isinstance(value, float):
        try:
            return float(text) == value
        except ValueError:
            return False
    return isinstance(value, str) and json.dumps(value) == text


# --------------------------------------------------------------------------------------------
# Choosing runs: groups, the --by axis, --where filters, metrics


@dataclass
class Group:
    sweep_name: str
    name: str
    runs: list
    axes: list  # non-seed axes set in this group's runs, in axis order

    @property
    def title(self):
        return f"sweep '{self.sweep_name}', group '{self.name}'"

    @property
    def synthetic(self):
        return any(r.synthetic for r in self.runs if r.status == "done")


def groups(results, where=()):
    """The sweep groups in order, each with its runs (all statuses) that pass the `where`
    filters, a list of (axis, text) pairs. Groups with no run left are dropped."""
    out = {}
    for run in results.runs:
        if not all(a in run.axes and value_matches(run.axes[a], t) for a, t in where):
            continue
        key = (run.sweep_id, run.group)
        if key not in out:
            out[key] = Group(run.sweep_name, run.group, [], [])
        out[key].runs.append(run)
    for g in out.values():
        present = {a for r in g.runs for a in r.axes}
        g.axes = [a for a in results.non_seed_axes() if a in present]
    return list(out.values())


def resolve_by(results, by):
    """The --by axis: the given one (checked), else "policy" if present, else the first axis."""
    candidates = results.non_seed_axes()
    if by is not None:
        if by not in candidates:
            raise ResultsError(f"--by {by}: no such sweep axis in {results.path} "
                               f"(allowed: {_allowed(candidates)})", EXIT_USAGE)
        return by
    if not candidates:
        raise ResultsError(f"{results.path}: the sweep has no axes other than the seed, "
                           "nothing to group by", EXIT_DATA)
    return "policy" if "policy" in candidates else candidates[0]


def parse_where(results, items):
    """--where AXIS=VALUE items -> [(axis, text)], checked against the database."""
    out = []
    for item in items or ():
        axis, sep, text = item.partition("=")
        if not sep:
            raise ResultsError(f"--where {item}: expected AXIS=VALUE", EXIT_USAGE)
        if axis not in results.axis_names:
            raise ResultsError(f"--where {item}: no such sweep axis "
                               f"(allowed: {_allowed(results.axis_names)})", EXIT_USAGE)
        values = axis_values(results.runs, axis)
        if not any(value_matches(v, text) for v in values):
            raise ResultsError(f"--where {item}: axis '{axis}' never has value {text!r} "
                               f"(allowed: {_allowed(value_label(v) for v in values)})",
                               EXIT_USAGE)
        out.append((axis, text))
    return out


def resolve_metrics(results, requested, default=DEFAULT_METRICS, option="--metric"):
    """Metric names: the requested ones (each must be a metric column), else those of `default`
    present in the database."""
    names = split_names(requested)
    if names:
        for m in names:
            if m not in results.metric_names:
                raise ResultsError(f"{option} {m}: no such metric in {results.path} "
                                   f"(allowed: {_allowed(results.metric_names)})", EXIT_USAGE)
        return names
    present = [m for m in default if m in results.metric_names]
    if not present:
        raise ResultsError(f"{results.path}: none of the default metrics "
                           f"({', '.join(default)}) is a column; choose with --metric "
                           f"(allowed: {_allowed(results.metric_names)})", EXIT_USAGE)
    return present


def split_names(items):
    """["a,b", "c"] -> ["a", "b", "c"] (options accept both spaces and commas)."""
    out = []
    for item in items or ():
        out.extend(x for x in item.split(",") if x)
    return out


def require_done(results, groups_):
    if not any(r.status == "done" for g in groups_ for r in g.runs):
        counts = {}
        for r in results.runs:
            counts[r.status] = counts.get(r.status, 0) + 1
        found = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no runs"
        raise ResultsError(f"{results.path}: no done runs to show (found {found})", EXIT_DATA)


def axis_values(runs, axis):
    """Distinct values of `axis` over `runs`, in first-seen (expansion) order."""
    seen = []
    for r in runs:
        v = r.axes.get(axis)
        if v not in seen:
            seen.append(v)
    return seen


def resolve_baseline(results, groups_, by, baseline):
    """The baseline value's text: the given one (it must be a value of the --by axis in some
    group), else the first value of the --by axis in expansion order."""
    values = []
    for g in groups_:
        for v in axis_values(g.runs, by):
            if v not in values:
                values.append(v)
    if baseline is None:
        return value_label(values[0]) if values else None
    if not any(value_matches(v, baseline) for v in values):
        raise ResultsError(f"--baseline {baseline}: not a value of axis '{by}' in {results.path} "
                           f"(allowed: {_allowed(value_label(v) for v in values)})", EXIT_USAGE)
    return baseline


def _allowed(names):
    names = list(names)
    return ", ".join(names) if names else "none"


# --------------------------------------------------------------------------------------------
# Statistics over seeds

# Two-sided 95 % Student t quantiles t(0.975, df) (values as in any statistics table, checked
# against scipy.stats.t.ppf); between rows, interpolated linearly in 1/df, 1.96 as df -> inf.
T975 = (
    (1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (5, 2.5706), (6, 2.4469), (7, 2.3646),
    (8, 2.3060), (9, 2.2622), (10, 2.2281), (11, 2.2010), (12, 2.1788), (13, 2.1604),
    (14, 2.1448), (15, 2.1314), (16, 2.1199), (17, 2.1098), (18, 2.1009), (19, 2.0930),
    (20, 2.0860), (21, 2.0796), (22, 2.0739), (23, 2.0687), (24, 2.0639), (25, 2.0595),
    (26, 2.0555), (27, 2.0518), (28, 2.0484), (29, 2.0452), (30, 2.0423), (40, 2.0211),
    (50, 2.0086), (60, 2.0003), (80, 1.9901), (100, 1.9840), (120, 1.9799), (200, 1.9719),
    (500, 1.9647), (1000, 1.9623),
)
Z975 = 1.9600


def t975(df):
    """Student t quantile for a two-sided 95 % interval with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("t975 needs df >= 1")
    for (d0, t0), (d1, t1) in zip(T975, T975[1:]):
        if df == d0:
            return t0
        if d0 < df < d1:
            w = (1 / df - 1 / d1) / (1 / d0 - 1 / d1)
            return t1 + w * (t0 - t1)
    last_d, last_t = T975[-1]
    if df == last_d:
        return last_t
    return Z975 + (last_t - Z975) * (last_d / df)  # linear in 1/df towards 1/df = 0


@dataclass
class Stat:
    n: int
    mean: float
    sd: float          # sample standard deviation (n - 1); NaN when n < 2
    half_width: float  # t(0.975, n-1) * sd / sqrt(n); NaN when n < 2


def seed_stats(values):
    """Mean and 95 % confidence half-width of the values (None and NaN left out)."""
    xs = [float(v) for v in values if v is not None and not math.isnan(v)]
    n = len(xs)
    if n == 0:
        return Stat(0, math.nan, math.nan, math.nan)
    # Shifted by the first value: identical values give exactly that value and a zero spread.
    mean = xs[0] + math.fsum(x - xs[0] for x in xs) / n
    if n < 2:
        return Stat(1, mean, math.nan, math.nan)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    return Stat(n, mean, sd, t975(n - 1) * sd / math.sqrt(n))


@dataclass
class Cell:
    """The runs sharing one value of the --by axis and one combination of the other non-seed
    axes (`rest`, a tuple of (axis, value)); they differ only in the seed."""
    by_value: object
    rest: tuple
    runs: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)  # metric -> Stat over the done runs

    @property
    def by_label(self):
        return value_label(self.by_value)

    @property
    def rest_label(self):
        return rest_label(self.rest)

    @property
    def done(self):
        return [r for r in self.runs if r.status == "done"]

    @property
    def failed(self):
        return [r for r in self.runs if r.status == "failed"]


def rest_label(rest):
    return ", ".join(f"{a}={value_label(v)}" for a, v in rest)


def cells(group, by, metrics=()):
    """The group's runs pivoted into cells (by value x other axes), in expansion order, with the
    seed statistics of each metric over the cell's done runs."""
    out = {}
    rest_axes = [a for a in group.axes if a != by]
    for run in group.runs:
        rest = tuple((a, run.axes.get(a)) for a in rest_axes)
        key = (_key(run.axes.get(by)), tuple((a, _key(v)) for a, v in rest))
        if key not in out:
            out[key] = Cell(run.axes.get(by), rest)
        out[key].runs.append(run)
    for c in out.values():
        for m in metrics:
            c.stats[m] = seed_stats([r.metrics.get(m) for r in c.done])
    return list(out.values())


def _key(value):
    return (type(value).__name__, value)


def relative_change(value, baseline):
    """(value - baseline) / baseline, NaN when either is missing or the baseline is 0."""
    if value is None or baseline is None or math.isnan(value) or math.isnan(baseline) \
            or baseline == 0:
        return math.nan
    return (value - baseline) / baseline


def baseline_cell(cells_, cell, baseline):
    """The cell with the baseline --by value and the same other axes as `cell`, or None."""
    for c in cells_:
        if c.rest == cell.rest and value_matches(c.by_value, baseline):
            return c
    return None


@dataclass
class NormalisedBar:
    by_label: str
    rest: tuple
    metric: str
    mean: float
    half_width: float
    n: int
    baseline_mean: float
    ratio: float             # mean / baseline mean
    ratio_half_width: float  # half_width / baseline mean (the baseline's own spread ignored)


def normalised_bars(cells_, metrics, baseline):
    """Every cell's metric means divided by the baseline cell's mean (same other axes)."""
    out = []
    for c in cells_:
        base = baseline_cell(cells_, c, baseline)
        for m in metrics:
            s = c.stats[m]
            b = base.stats[m].mean if base is not None else math.nan
            ok = not math.isnan(b) and b != 0
            out.append(NormalisedBar(
                c.by_label, c.rest, m, s.mean, s.half_width, s.n, b,
                s.mean / b if ok else math.nan, s.half_width / abs(b) if ok else math.nan))
    return out


# --------------------------------------------------------------------------------------------
# Pareto front


PARETO_REL_TOL = 1e-9


def pareto_front(points, rel_tol=PARETO_REL_TOL):
    """For (x, y) points, both to be minimised: True where no other point is at least as good in
    both and strictly better in one. Values within rel_tol of each other count as equal (so that
    rounding in a seed mean does not decide dominance). A point with a NaN is never on the front."""
    def close(a, b):
        return abs(a - b) <= rel_tol * max(abs(a), abs(b))

    def dominates(qx, qy, x, y):
        no_worse = (qx <= x or close(qx, x)) and (qy <= y or close(qy, y))
        better = (qx < x and not close(qx, x)) or (qy < y and not close(qy, y))
        return no_worse and better

    valid = [not (math.isnan(x) or math.isnan(y)) for x, y in points]
    return [ok and not any(valid[j] and j != i and dominates(*points[j], *points[i])
                           for j in range(len(points)))
            for i, ok in enumerate(valid)]


@dataclass
class ParetoPoint:
    by_label: str
    rest: tuple
    seed: object        # the seed (points = runs) or None (points = seed means)
    n: int              # runs behind the point
    x: float
    y: float
    x_half_width: float
    y_half_width: float
    run_id: str | None
    on_front: bool = False        # non-dominated among all points of the group
    on_value_front: bool = False  # non-dominated among the points of the same --by value


def pareto_points(cells_, x_metric, y_metric, points="means"):
    """The group's points (seed means per cell, or every done run) and their front flags."""
    out = []
    for c in cells_:
        if points == "runs":
            for r in c.done:
                out.append(ParetoPoint(c.by_label, c.rest, r.seed, 1, _num(r.metrics.get(x_metric)),
                                       _num(r.metrics.get(y_metric)), math.nan, math.nan, r.run_id))
        else:
            sx, sy = seed_stats([r.metrics.get(x_metric) for r in c.done]), \
                seed_stats([r.metrics.get(y_metric) for r in c.done])
            if sx.n or sy.n:
                out.append(ParetoPoint(c.by_label, c.rest, None, min(sx.n, sy.n), sx.mean, sy.mean,
                                       sx.half_width, sy.half_width, None))
    for p, flag in zip(out, pareto_front([(p.x, p.y) for p in out])):
        p.on_front = flag
    for label in {p.by_label for p in out}:
        mine = [p for p in out if p.by_label == label]
        for p, flag in zip(mine, pareto_front([(p.x, p.y) for p in mine])):
            p.on_value_front = flag
    return out


def _num(v):
    return math.nan if v is None else float(v)


# --------------------------------------------------------------------------------------------
# Latency CDF


def cdf(values, max_points=None):
    """Empirical CDF: the sorted values and, for the i-th (1-based) of n, the fraction i/n.
    With max_points, at most that many points evenly spaced in rank (the last one kept)."""
    xs = sorted(float(v) for v in values)
    n = len(xs)
    ranks = range(1, n + 1)
    if max_points and n > max_points:
        ranks = sorted({max(1, round(k * n / max_points)) for k in range(1, max_points + 1)})
    return [xs[i - 1] for i in ranks], [i / n for i in ranks]


def read_column(csv_path, column):
    """Finite numbers of one column of a CSV file, read by header name. Rows of requests.csv whose
    `status` is not `ok` (serving devices: dropped or timed out, docs/results.md) are left out."""
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise ResultsError(f"{csv_path}: no column '{column}' (found: "
                               f"{_allowed(reader.fieldnames or [])})", EXIT_DATA)
        out = []
        for row in reader:
            if row.get("status", "ok") not in (None, "", "ok"):
                continue
            text = row[column]
            if text not in (None, ""):
                v = float(text)
                if math.isfinite(v):
                    out.append(v)
        return out


@dataclass
class CdfCurve:
    by_label: str
    rest: tuple
    xs: list
    ps: list
    n_values: int
    run_ids: list                                  # runs whose requests were pooled
    missing: list = field(default_factory=list)    # (run_id, reason) for runs left out


def latency_cdfs(cells_, column="latency_s", max_points=None):
    """Per cell, the CDF of `column` of requests.csv pooled over the cell's done runs."""
    out = []
    for c in cells_:
        values, used, missing = [], [], []
        for r in c.done:
            path = os.path.join(r.out_dir, "requests.csv") if r.out_dir else None
            if path is None or not os.path.isfile(path):
                missing.append((r.run_id, f"{path or 'no out_dir'}: no such file"))
                continue
            values.extend(read_column(path, column))
            used.append(r.run_id)
        xs, ps = cdf(values, max_points)
        out.append(CdfCurve(c.by_label, c.rest, xs, ps, len(values), used, missing))
    return out


# --------------------------------------------------------------------------------------------
# Metric against an axis


@dataclass
class CurvePoint:
    x: object       # the x axis value (float for numeric axes)
    mean: float
    half_width: float
    n: int


@dataclass
class Curve:
    by_label: str
    rest: tuple     # the other axes except x
    metric: str
    points: list    # CurvePoints sorted by x (numbers) or in expansion order (text)


def metric_curves(cells_, x_axis, metric):
    """One curve per (--by value, other axes except x_axis): the metric's seed mean and CI at
    each value of x_axis."""
    curves = {}
    for c in cells_:
        rest = tuple((a, v) for a, v in c.rest if a != x_axis)
        x = dict(c.rest).get(x_axis)
        key = (c.by_label, rest_label(rest))
        if key not in curves:
            curves[key] = Curve(c.by_label, rest, metric, [])
        s = c.stats[metric] if metric in c.stats else \
            seed_stats([r.metrics.get(metric) for r in c.done])
        if s.n:
            curves[key].points.append(CurvePoint(x, s.mean, s.half_width, s.n))
    for cv in curves.values():
        if all(isinstance(p.x, float) for p in cv.points):
            cv.points.sort(key=lambda p: p.x)
    return list(curves.values())


def default_x_axis(group, by):
    """The axis for metric-vs-axis curves: the first numeric non-seed axis other than --by, else
    the first other axis, else None (then there is nothing to draw a curve over)."""
    others = [a for a in group.axes if a != by]
    for a in others:
        if all(isinstance(v, float) for v in axis_values(group.runs, a)):
            return a
    return others[0] if others else None


# --------------------------------------------------------------------------------------------
# Timeline of one run

TIMELINE_COLUMNS = ("cpu_khz", "gpu_hz", "emc_hz", "power_w")


def find_run(results, run_id):
    """The run with this id (a unique prefix is accepted), which must be done."""
    matches = [r for r in results.runs if r.run_id == run_id] or \
        [r for r in results.runs if r.run_id.startswith(run_id)]
    done = [r.run_id for r in results.runs if r.status == "done"]
    if len(matches) != 1:
        shown = ", ".join(done[:10]) + (", ..." if len(done) > 10 else "")
        what = "no such run" if not matches else "ambiguous prefix"
        raise ResultsError(f"--run {run_id}: {what} in {results.path} (done runs: {shown or 'none'})",
                           EXIT_USAGE)
    if matches[0].status != "done":
        raise ResultsError(f"--run {run_id}: run status is '{matches[0].status}', only done runs "
                           "have a timeline", EXIT_USAGE)
    return matches[0]


def timeline(run, devices=None, max_devices=4):
    """Per device (the given ids, else the first max_devices), the columns of timeline.csv:
    {device: {"time_s": [...], "cpu_khz": [...], "gpu_hz": [...], "emc_hz": [...],
    "power_w": [...]}} in file order."""
    path = os.path.join(run.out_dir or "", "timeline.csv")
    if not run.out_dir or not os.path.isfile(path):
        raise ResultsError(f"{path}: no such file (the timeline of run {run.run_id})", EXIT_DATA)
    wanted = ("time_s", "device") + TIMELINE_COLUMNS
    out = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in wanted if c not in (reader.fieldnames or [])]
        if missing:
            raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}", EXIT_DATA)
        for row in reader:
            dev = row["device"]
            if devices is not None and dev not in devices:
                continue
            if dev not in out:
                if devices is None and len(out) >= max_devices:
                    continue
                out[dev] = {c: [] for c in ("time_s",) + TIMELINE_COLUMNS}
            for c in ("time_s",) + TIMELINE_COLUMNS:
                out[dev][c].append(float(row[c]))
    if devices is not None:
        absent = [d for d in devices if d not in out]
        if absent:
            raise ResultsError(f"--devices {','.join(absent)}: not in {path} "
                               "(devices are the ids of its 'device' column)", EXIT_USAGE)
    return out


# --------------------------------------------------------------------------------------------
# Units from metric names


def metric_unit(name):
    """(unit label, factor from the stored value to the shown one) from the name's suffix:
    _s s, _j J, _w W, _hz/_khz MHz, _bps Mbit/s, _rps req/s, *rate %; else no unit."""
    rules = (("rate", "%", 100.0), ("_khz", "MHz", 1e-3), ("_hz", "MHz", 1e-6),
             ("_bps", "Mbit/s", 1e-6), ("_rps", "req/s", 1.0), ("_s", "s", 1.0),
             ("_j", "J", 1.0), ("_w", "W", 1.0))
    for suffix, unit, factor in rules:
        if name.endswith(suffix):
            return unit, factor
    return "", 1.0


def axis_title(name):
    """"latency_p95_s" -> "latency p95 (s)"."""
    unit, _ = metric_unit(name)
    words = name
    for suffix in ("_khz", "_hz", "_bps", "_rps", "_s", "_j", "_w"):
        if name.endswith(suffix):
            words = name[: -len(suffix)]
            break
    words = words.replace("_", " ")
    return f"{words} ({unit})" if unit else words
