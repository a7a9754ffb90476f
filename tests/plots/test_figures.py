"""plots/make_figures.py end to end on the tiny database of tiny_db.py: which figures are written,
that PNG and SVG files are real (SVG parses as XML), the CSV data beside them, the SYNTHETIC mark,
the options and the error messages."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
PLOTS = os.path.join(HERE, "..", "..", "plots")
sys.path.insert(0, HERE)

import tiny_db  # noqa: E402

STEMS = [
    "pareto-paper-bw", "cdf-paper-bw-bandwidth_bps=1000000", "cdf-paper-bw-bandwidth_bps=20000000",
    "curve-paper-bw-energy_per_request_j-vs-bandwidth_bps",
    "curve-paper-bw-latency_p95_s-vs-bandwidth_bps",
    "curve-paper-bw-slo_violation_rate-vs-bandwidth_bps",
    "curve-paper-bw-throughput_rps-vs-bandwidth_bps",
    "bars-paper-bw-bandwidth_bps=1000000", "bars-paper-bw-bandwidth_bps=20000000",
    "pareto-paper-solo", "cdf-paper-solo", "bars-paper-solo",
    "timeline-" + tiny_db.TIMELINE_RUN,
]


def make_figures(*args):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-B", os.path.join(PLOTS, "make_figures.py"), *args],
                          capture_output=True, text=True, env=env)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


class AllFigures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edgetwin_figures_")
        cls.path = tiny_db.build(cls.tmp)
        cls.out = os.path.join(cls.tmp, "figs")
        cls.proc = make_figures(cls.path, "--out", cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def file(self, name):
        return os.path.join(self.out, name)

    def test_every_figure_in_png_svg_and_csv(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        expected = sorted(f"{s}.{ext}" for s in STEMS for ext in ("png", "svg", "csv"))
        self.assertEqual(sorted(os.listdir(self.out)), expected)
        self.assertIn(f"wrote {len(STEMS)} figures (png, svg, with CSV data) to {self.out}",
                      self.proc.stdout)
        for stem in STEMS:
            with open(self.file(stem + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", stem)
            root = ET.parse(self.file(stem + ".svg")).getroot()
            self.assertTrue(root.tag.endswith("svg"), stem)

    def svg_text(self, stem):
        root = ET.parse(self.file(stem + ".svg")).getroot()
        return " ".join(t for e in root.iter() for t in (e.text,) if t)

    def test_titles_units_and_synthetic_mark(self):
        text = self.svg_text("pareto-paper-bw")
        self.assertIn("sweep 'paper', group 'bw' (SYNTHETIC traces)", text)
        self.assertIn("energy per request (J)", text)
        self.assertIn("latency p95 (s)", text)
        self.assertNotIn("SYNTHETIC", self.svg_text("pareto-paper-solo"))
        self.assertIn("slo violation rate (%)",
                      self.svg_text("curve-paper-bw-slo_violation_rate-vs-bandwidth_bps"))
        self.assertIn("bandwidth (Mbit/s)",
                      self.svg_text("curve-paper-bw-slo_violation_rate-vs-bandwidth_bps"))
        timeline = self.svg_text("timeline-" + tiny_db.TIMELINE_RUN)
        for label in ("CPU (MHz)", "GPU (MHz)", "EMC (MHz)", "power (W)", "time (s)",
                      "SYNTHETIC traces"):
            self.assertIn(label, timeline)

    def test_pareto_csv(self):
        rows = read_csv(self.file("pareto-paper-bw.csv"))
        self.assertEqual(rows[0], ["policy", "bandwidth_bps", "seed", "n", "energy_per_request_j",
                                   "latency_p95_s", "energy_per_request_j_ci95",
                                   "latency_p95_s_ci95", "on_front", "on_front_of_policy",
                                   "run_id"])
        front = {(r[0], r[1]): r[8] for r in rows[1:]}
        self.assertEqual(front, {("race", "1000000"): "1", ("race", "20000000"): "0",
                                 ("e4", "1000000"): "1", ("e4", "20000000"): "1"})
        race = next(r for r in rows if r[:2] == ["race", "20000000"])
        self.assertAlmostEqual(float(race[4]), 0.21, places=12)
        self.assertAlmostEqual(float(race[6]), 4.3027 * 0.01, places=12)

    def test_cdf_csv(self):
        rows = read_csv(self.file("cdf-paper-bw-bandwidth_bps=1000000.csv"))
        self.assertEqual(rows[0], ["policy", "bandwidth_bps", "latency_s", "fraction"])
        self.assertEqual([(r[0], float(r[2]), float(r[3])) for r in rows[1:]], [
            ("race", 0.01, 0.25), ("race", 0.02, 0.5), ("race", 0.03, 0.75), ("race", 0.04, 1.0),
            ("e4", 0.1, 0.25), ("e4", 0.2, 0.5), ("e4", 0.3, 0.75), ("e4", 0.4, 1.0)])

    def test_curve_csv(self):
        rows = read_csv(self.file("curve-paper-bw-energy_per_request_j-vs-bandwidth_bps.csv"))
        self.assertEqual(rows[0], ["policy", "bandwidth_bps", "energy_per_request_j_mean",
                                   "energy_per_request_j_ci95", "n"])
        e4 = [r for r in rows[1:] if r[0] == "e4"]
        self.assertEqual([r[1] for r in e4], ["1000000", "20000000"])
        self.assertAlmostEqual(float(e4[1][2]), 0.16, places=12)
        self.assertAlmostEqual(float(e4[1][3]), 4.3027 * 0.01 / 3 ** 0.5, places=12)

    def test_bars_csv(self):
        rows = read_csv(self.file("bars-paper-bw-bandwidth_bps=20000000.csv"))
        self.assertEqual(rows[0], ["policy", "bandwidth_bps", "metric", "mean", "ci95", "n",
                                   "baseline_mean", "ratio", "ratio_ci95"])
        got = {(r[0], r[2]): float(r[7]) for r in rows[1:]}
        self.assertAlmostEqual(got[("e4", "energy_per_request_j")], 0.16 / 0.21, places=12)
        self.assertAlmostEqual(got[("race", "energy_per_request_j")], 1.0, places=12)
        self.assertAlmostEqual(got[("e4", "latency_p95_s")], 1.0, places=12)
        solo = read_csv(self.file("bars-paper-solo.csv"))
        e4 = next(r for r in solo if r[:2] == ["e4", "energy_per_request_j"])
        self.assertAlmostEqual(float(e4[6]), 0.6 / 1.1, places=12)

    def test_timeline_csv(self):
        rows = read_csv(self.file(f"timeline-{tiny_db.TIMELINE_RUN}.csv"))
        self.assertEqual(rows[0], ["device", "time_s", "cpu_khz", "gpu_hz", "emc_hz", "power_w"])
        self.assertEqual(len(rows), 1 + 9)
        self.assertEqual(rows[3], ["0", "3.0", "729600.0", "599250000.0", "800000000.0", "2.5"])


class Options(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="edgetwin_figures_opt_")
        self.path = tiny_db.build(self.tmp)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_svg_only_selected_figures_default_out(self):
        p = make_figures(self.path, "--format", "svg", "--figures", "bars,timeline", "--by",
                         "bandwidth_bps", "--baseline", "2e7", "--metric", "latency_p95_s",
                         "--run", "00000000000000a", "--devices", "1,2")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = os.path.join(self.tmp, "results.figs")
        self.assertEqual(sorted(os.listdir(out)), [
            "bars-paper-bw-policy=e4.csv", "bars-paper-bw-policy=e4.svg",
            "bars-paper-bw-policy=race.csv", "bars-paper-bw-policy=race.svg",
            "timeline-00000000000000a0.csv", "timeline-00000000000000a0.svg"])
        rows = read_csv(os.path.join(out, "bars-paper-bw-policy=race.csv"))
        got = {r[0]: float(r[7]) for r in rows[1:]}
        self.assertAlmostEqual(got["1000000"], 0.09 / 0.05, places=12)
        self.assertAlmostEqual(got["20000000"], 1.0, places=12)
        timeline = read_csv(os.path.join(out, "timeline-00000000000000a0.csv"))
        self.assertEqual({r[0] for r in timeline[1:]}, {"1", "2"})

    def test_pareto_of_runs(self):
        out = os.path.join(self.tmp, "f")
        p = make_figures(self.path, "--out", out, "--format", "png", "--figures", "pareto",
                         "--points", "runs", "--where", "policy=e4")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = read_csv(os.path.join(out, "pareto-paper-bw.csv"))
        self.assertEqual(len(rows), 1 + 6)
        # e4 alone: (0.08, 0.10) and (0.15, 0.04), both seed 1, are not dominated
        self.assertEqual(sorted((r[1], r[2]) for r in rows[1:] if r[8] == "1"),
                         [("1000000", "1"), ("20000000", "1")])

    def test_errors_are_one_line(self):
        missing = os.path.join(self.tmp, "missing.sqlite")
        cases = [
            ((missing,), 3, f"error: {missing}: no such file"),
            ((self.path, "--by", "nope"), 2, "error: --by nope: no such sweep axis"),
            ((self.path, "--metric", "foo"), 2, "error: --metric foo: no such metric in"),
            ((self.path, "--baseline", "zz"), 2, "error: --baseline zz: not a value of axis "
             "'policy'"),
            ((self.path, "--run", "ffff"), 2, "error: --run ffff: no such run"),
            ((self.path, "--format", "jpg"), 2, "error: --format jpg: allowed values are png, svg"),
            ((self.path, "--figures", "pie"), 2, "error: --figures pie: allowed values are "
             "pareto, cdf, curves, bars, timeline"),
            ((self.path, "--pareto", "energy_per_request_j"), 2, "expected two metrics X,Y"),
            ((self.path, "--x", "speed"), 2, "error: --x speed: no such sweep axis"),
            ((self.path, "--run", tiny_db.TIMELINE_RUN, "--devices", "7"), 2,
             "error: --devices 7: not in"),
        ]
        for args, code, text in cases:
            p = make_figures(*args, "--out", os.path.join(self.tmp, "err"))
            self.assertEqual(p.returncode, code, args)
            self.assertIn(text, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertNotIn("Traceback", p.stderr)

    def test_help(self):
        p = make_figures("--help")
        self.assertEqual(p.returncode, 0)
        for option in ("--out", "--by", "--baseline", "--metric", "--run", "--format"):
            self.assertIn(option, p.stdout)


if __name__ == "__main__":
    unittest.main()
