"""The numbers behind the figures (plots/edgetwin_results.py) against hand-computed values on the
tiny database of tiny_db.py."""

import math
import os
import shutil
import sqlite3
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "plots"))
sys.path.insert(0, HERE)

import edgetwin_results as er  # noqa: E402
import tiny_db  # noqa: E402

T2 = 4.3027    # t(0.975, 2 degrees of freedom), from a printed table
T1 = 12.7062   # t(0.975, 1)


class TinyDatabase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edgetwin_plots_")
        cls.path = tiny_db.build(cls.tmp)
        cls.results = er.load(cls.path)
        cls.bw, cls.solo = er.groups(cls.results)
        cls.metrics = er.resolve_metrics(cls.results, None)
        cls.bw_cells = er.cells(cls.bw, "policy", cls.metrics)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def cell(self, policy, bw):
        return next(c for c in self.bw_cells
                    if c.by_value == policy and dict(c.rest)["bandwidth_bps"] == bw)


class Loading(TinyDatabase):
    def test_runs_axes_and_metrics(self):
        r = self.results
        self.assertEqual(len(r.runs), 18)
        self.assertEqual(r.axis_names, ["policy", "bandwidth_bps"])
        self.assertEqual(r.metric_names, ["energy_per_request_j", "latency_p95_s",
                                          "slo_violation_rate", "throughput_rps", "devices",
                                          "simulated_end_s"])
        first = r.runs[0]
        self.assertEqual(first.run_id, tiny_db.TIMELINE_RUN)
        self.assertEqual(first.axes, {"policy": "race", "bandwidth_bps": 1e6})
        self.assertTrue(first.synthetic)
        self.assertEqual(first.out_dir, os.path.join(self.tmp, "results.runs", first.run_id))
        self.assertEqual(first.metrics["energy_per_request_j"], 0.10)

    def test_groups_and_defaults(self):
        self.assertEqual((self.bw.name, self.solo.name), ("bw", "solo"))
        self.assertEqual(len(self.bw.runs), 14)
        self.assertEqual(self.bw.axes, ["policy", "bandwidth_bps"])
        self.assertEqual(self.solo.axes, ["policy"])
        self.assertTrue(self.bw.synthetic)
        self.assertFalse(self.solo.synthetic)
        self.assertEqual(er.resolve_by(self.results, None), "policy")
        self.assertEqual(er.default_x_axis(self.bw, "policy"), "bandwidth_bps")
        self.assertIsNone(er.default_x_axis(self.solo, "policy"))
        self.assertEqual(er.resolve_baseline(self.results, [self.bw], "policy", None), "race")
        self.assertEqual(self.metrics, list(er.DEFAULT_METRICS))

    def test_where_filter(self):
        where = er.parse_where(self.results, ["bandwidth_bps=2e7"])
        (g,) = er.groups(self.results, where)
        self.assertEqual(len(g.runs), 7)
        self.assertTrue(all(r.axes["bandwidth_bps"] == 2e7 for r in g.runs))

    def test_value_labels(self):
        self.assertEqual(er.value_label(1e6), "1000000")
        self.assertEqual(er.value_label(0.25), "0.25")
        self.assertTrue(er.value_matches(2e7, "2e7"))
        self.assertTrue(er.value_matches(2e7, "20000000"))
        self.assertFalse(er.value_matches(2e7, "2e6"))
        self.assertTrue(er.value_matches("race", "race"))


class SeedStatistics(TinyDatabase):
    def test_t_quantiles(self):
        self.assertEqual(er.t975(1), 12.7062)
        self.assertEqual(er.t975(2), 4.3027)
        # between table rows, linear in 1/df: 2.0211 + (1/35-1/40)/(1/30-1/40) * (2.0423-2.0211)
        self.assertAlmostEqual(er.t975(35), 2.0211 + (3 / 7) * 0.0212, places=9)
        self.assertLess(er.t975(10 ** 6), 1.9601)
        self.assertGreater(er.t975(10 ** 6), 1.9599)

    def test_t_quantiles_against_scipy_when_present(self):
        try:
            from scipy.stats import t
        except ImportError:
            self.skipTest("scipy not installed (the table does not need it)")
        for df in (1, 2, 3, 7, 29, 33, 45, 75, 150, 700, 5000):
            self.assertAlmostEqual(er.t975(df), t.ppf(0.975, df), delta=6e-4, msg=f"df={df}")

    def test_mean_and_half_width(self):
        s = self.cell("race", 1e6).stats["energy_per_request_j"]  # 0.10, 0.12, 0.14
        self.assertEqual(s.n, 3)
        self.assertAlmostEqual(s.mean, 0.12, places=12)
        self.assertAlmostEqual(s.sd, 0.02, places=12)
        self.assertAlmostEqual(s.half_width, T2 * 0.02 / math.sqrt(3), places=12)
        s = self.cell("race", 2e7).stats["energy_per_request_j"]  # 0.20, 0.20, 0.23: sd 0.03/sqrt(3)
        self.assertAlmostEqual(s.mean, 0.21, places=12)
        self.assertAlmostEqual(s.half_width, T2 * 0.01, places=12)
        s = self.cell("race", 2e7).stats["latency_p95_s"]  # identical values: no spread at all
        self.assertEqual((s.mean, s.half_width), (0.05, 0.0))

    def test_failed_and_pending_runs_are_not_seeds(self):
        c = self.cell("e4", 2e7)
        self.assertEqual((len(c.runs), len(c.done), len(c.failed)), (4, 3, 1))
        self.assertEqual(c.stats["energy_per_request_j"].n, 3)
        self.assertEqual(self.cell("race", 1e6).stats["throughput_rps"].n, 3)

    def test_two_seeds_and_one(self):
        race, e4 = er.cells(self.solo, "policy", ["energy_per_request_j"])
        s = race.stats["energy_per_request_j"]  # 1.0, 1.2
        self.assertAlmostEqual(s.mean, 1.1, places=12)
        self.assertAlmostEqual(s.half_width, T1 * math.sqrt(0.02) / math.sqrt(2), places=12)
        one = er.seed_stats([0.5, None])
        self.assertEqual(one.n, 1)
        self.assertEqual(one.mean, 0.5)
        self.assertTrue(math.isnan(one.half_width))
        self.assertEqual(er.seed_stats([]).n, 0)


class Pareto(TinyDatabase):
    def test_front_rules(self):
        self.assertEqual(er.pareto_front([(1, 3), (2, 2), (3, 1), (3, 3), (2, 2)]),
                         [True, True, True, False, True])  # duplicates stay; (3, 3) is dominated
        self.assertEqual(er.pareto_front([(1, 1), (1, 2), (math.nan, 0)]), [True, False, False])
        # equal within rounding: (0.3, 1) vs (0.1 + 0.2, 1) -> neither dominates
        self.assertEqual(er.pareto_front([(0.3, 1.0), (0.1 + 0.2, 1.0)]), [True, True])

    def test_front_of_seed_means(self):
        pts = er.pareto_points(self.bw_cells, "energy_per_request_j", "latency_p95_s", "means")
        got = {(p.by_label, dict(p.rest)["bandwidth_bps"]): p for p in pts}
        self.assertEqual(len(pts), 4)
        # means: race 1e6 (0.12, 0.09), race 2e7 (0.21, 0.05), e4 1e6 (0.09, 0.11), e4 2e7 (0.16, 0.05)
        self.assertAlmostEqual(got[("race", 2e7)].x, 0.21, places=12)
        self.assertAlmostEqual(got[("e4", 1e6)].y, 0.11, places=12)
        self.assertEqual({k for k, p in got.items() if p.on_front},
                         {("race", 1e6), ("e4", 1e6), ("e4", 2e7)})
        self.assertTrue(all(p.on_value_front for p in pts))
        self.assertEqual(got[("e4", 2e7)].n, 3)
        self.assertAlmostEqual(got[("race", 1e6)].x_half_width, T2 * 0.02 / math.sqrt(3), places=12)

    def test_front_of_runs(self):
        pts = er.pareto_points(self.bw_cells, "energy_per_request_j", "latency_p95_s", "runs")
        self.assertEqual(len(pts), 12)
        key = {(p.by_label, dict(p.rest)["bandwidth_bps"], p.seed) for p in pts if p.on_front}
        # (0.08, 0.10) e4 seed 1, (0.10, 0.08) race seed 1, (0.15, 0.04) e4 seed 1
        self.assertEqual(key, {("e4", 1e6, 1), ("race", 1e6, 1), ("e4", 2e7, 1)})
        race_front = {(dict(p.rest)["bandwidth_bps"], p.seed) for p in pts
                      if p.by_label == "race" and p.on_value_front}
        # race alone: (0.10, 0.08) and the two (0.20, 0.05); (0.23, 0.05) is dominated
        self.assertEqual(race_front, {(1e6, 1), (2e7, 1), (2e7, 2)})


class Cdf(TinyDatabase):
    def test_cdf_points(self):
        self.assertEqual(er.cdf([0.3, 0.1, 0.2]), ([0.1, 0.2, 0.3], [1 / 3, 2 / 3, 1.0]))
        xs, ps = er.cdf(range(1, 11), max_points=5)
        self.assertEqual(xs, [2, 4, 6, 8, 10])
        self.assertEqual(ps, [0.2, 0.4, 0.6, 0.8, 1.0])
        self.assertEqual(er.cdf([]), ([], []))

    def test_latencies_pooled_over_seeds(self):
        curves = er.latency_cdfs(self.bw_cells)
        got = {(c.by_label, dict(c.rest)["bandwidth_bps"]): c for c in curves}
        race = got[("race", 1e6)]  # seeds: [0.03, 0.01], [0.02], [0.04]
        self.assertEqual(race.xs, [0.01, 0.02, 0.03, 0.04])
        self.assertEqual(race.ps, [0.25, 0.5, 0.75, 1.0])
        self.assertEqual(len(race.run_ids), 3)
        self.assertEqual(got[("race", 2e7)].xs, [0.05, 0.05, 0.06])
        self.assertEqual(got[("e4", 2e7)].n_values, 3)  # the failed run has no requests

    def test_missing_requests_file_is_reported(self):
        run = self.cell("e4", 1e6).done[0]
        path = os.path.join(run.out_dir, "requests.csv")
        os.rename(path, path + ".away")
        try:
            (curve,) = er.latency_cdfs([self.cell("e4", 1e6)])
        finally:
            os.rename(path + ".away", path)
        self.assertEqual(curve.xs, [0.2, 0.4])
        self.assertEqual([m[0] for m in curve.missing], [run.run_id])


class CurvesAndBars(TinyDatabase):
    def test_metric_against_bandwidth(self):
        curves = er.metric_curves(self.bw_cells, "bandwidth_bps", "energy_per_request_j")
        self.assertEqual([c.by_label for c in curves], ["race", "e4"])
        race = curves[0]
        self.assertEqual(race.rest, ())
        self.assertEqual([p.x for p in race.points], [1e6, 2e7])
        self.assertAlmostEqual(race.points[0].mean, 0.12, places=12)
        self.assertAlmostEqual(race.points[1].mean, 0.21, places=12)
        self.assertAlmostEqual(race.points[1].half_width, T2 * 0.01, places=12)
        self.assertEqual([p.n for p in race.points], [3, 3])

    def test_normalised_to_baseline(self):
        bars = er.normalised_bars(self.bw_cells, ["energy_per_request_j", "latency_p95_s"], "race")
        got = {(b.by_label, dict(b.rest)["bandwidth_bps"], b.metric): b for b in bars}
        self.assertEqual(len(bars), 8)
        self.assertAlmostEqual(got[("race", 1e6, "energy_per_request_j")].ratio, 1.0, places=12)
        e4 = got[("e4", 1e6, "energy_per_request_j")]
        self.assertAlmostEqual(e4.ratio, 0.09 / 0.12, places=12)
        self.assertAlmostEqual(e4.ratio_half_width, T2 * 0.01 / math.sqrt(3) / 0.12, places=12)
        self.assertAlmostEqual(got[("e4", 2e7, "energy_per_request_j")].ratio, 0.16 / 0.21,
                               places=12)
        self.assertAlmostEqual(got[("e4", 1e6, "latency_p95_s")].ratio, 0.11 / 0.09, places=12)
        self.assertAlmostEqual(got[("e4", 2e7, "latency_p95_s")].ratio, 1.0, places=12)

    def test_relative_change(self):
        self.assertAlmostEqual(er.relative_change(0.739, 1.0), -0.261, places=12)
        self.assertTrue(math.isnan(er.relative_change(1.0, 0.0)))
        self.assertTrue(math.isnan(er.relative_change(1.0, math.nan)))


class Timeline(TinyDatabase):
    def test_devices_and_columns(self):
        run = er.find_run(self.results, tiny_db.TIMELINE_RUN)
        data = er.timeline(run)
        self.assertEqual(list(data), ["0", "1", "2"])
        self.assertEqual(data["0"]["time_s"], [1.0, 2.0, 3.0])
        self.assertEqual(data["0"]["gpu_hz"], [1109250000.0, 599250000.0, 599250000.0])
        self.assertEqual(data["0"]["cpu_khz"], [1420800.0, 1420800.0, 729600.0])
        self.assertEqual(data["2"]["power_w"], [3.1, 3.3, 3.5])
        self.assertEqual(list(er.timeline(run, max_devices=2)), ["0", "1"])
        self.assertEqual(list(er.timeline(run, devices=["2"])), ["2"])

    def test_run_lookup(self):
        self.assertEqual(er.find_run(self.results, "00000000000000a").run_id, tiny_db.TIMELINE_RUN)
        with self.assertRaises(er.ResultsError) as e:
            er.find_run(self.results, "000000000000000c")  # the failed run
        self.assertIn("status is 'failed'", str(e.exception))
        with self.assertRaises(er.ResultsError):
            er.find_run(self.results, "0000")  # ambiguous
        with self.assertRaises(er.ResultsError) as e:
            er.timeline(er.find_run(self.results, "0000000000000001"))
        self.assertIn("timeline.csv: no such file", str(e.exception))
        self.assertEqual(e.exception.exit_code, 3)


class Units(unittest.TestCase):
    def test_units_from_names(self):
        self.assertEqual(er.metric_unit("latency_p95_s"), ("s", 1.0))
        self.assertEqual(er.metric_unit("energy_per_request_j"), ("J", 1.0))
        self.assertEqual(er.metric_unit("power_w"), ("W", 1.0))
        self.assertEqual(er.metric_unit("gpu_hz"), ("MHz", 1e-6))
        self.assertEqual(er.metric_unit("cpu_khz"), ("MHz", 1e-3))
        self.assertEqual(er.metric_unit("uplink_bandwidth_bps"), ("Mbit/s", 1e-6))
        self.assertEqual(er.metric_unit("throughput_rps"), ("req/s", 1.0))
        self.assertEqual(er.metric_unit("slo_violation_rate"), ("%", 100.0))
        self.assertEqual(er.metric_unit("devices"), ("", 1.0))
        self.assertEqual(er.axis_title("latency_p95_s"), "latency p95 (s)")
        self.assertEqual(er.axis_title("devices"), "devices")


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="edgetwin_plots_bad_")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assert_error(self, path, exit_code, *texts):
        with self.assertRaises(er.ResultsError) as e:
            er.load(path)
        self.assertEqual(e.exception.exit_code, exit_code)
        for t in texts:
            self.assertIn(t, str(e.exception))
        self.assertNotIn("\n", str(e.exception))

    def test_missing_and_foreign_files(self):
        missing = os.path.join(self.tmp, "none.sqlite")
        self.assert_error(missing, 3, missing, "no such file")
        text = os.path.join(self.tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not a database at all, " * 100)
        self.assert_error(text, 3, text, "not an EdgeTwin results database")
        other = os.path.join(self.tmp, "other.sqlite")
        sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
        self.assert_error(other, 3, other, "no table 'meta'")

    def test_other_schema_version(self):
        path = tiny_db.build(self.tmp)
        db = sqlite3.connect(path)
        db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
        db.commit()
        db.close()
        self.assert_error(path, 3, "schema_version is '2'", "reads schema_version 1")

    def test_no_done_runs(self):
        path = tiny_db.build(self.tmp)
        db = sqlite3.connect(path)
        db.execute("UPDATE runs SET status='pending'")
        db.commit()
        db.close()
        results = er.load(path)
        with self.assertRaises(er.ResultsError) as e:
            er.require_done(results, er.groups(results))
        self.assertEqual(e.exception.exit_code, 3)
        self.assertIn("no done runs to show (found 18 pending)", str(e.exception))

    def test_unknown_names(self):
        results = er.load(tiny_db.build(self.tmp))
        cases = [
            (lambda: er.resolve_by(results, "bandwidth"), "--by bandwidth",
             "allowed: policy, bandwidth_bps"),
            (lambda: er.resolve_metrics(results, ["energy_j"]), "--metric energy_j",
             "allowed: energy_per_request_j, latency_p95_s"),
            (lambda: er.resolve_baseline(results, er.groups(results), "policy", "dvfo"),
             "--baseline dvfo", "allowed: race, e4"),
            (lambda: er.parse_where(results, ["policy"]), "--where policy", "AXIS=VALUE"),
            (lambda: er.parse_where(results, ["bandwidth_bps=5"]), "--where bandwidth_bps=5",
             "allowed: 1000000, 20000000"),
        ]
        for call, *texts in cases:
            with self.assertRaises(er.ResultsError) as e:
                call()
            self.assertEqual(e.exception.exit_code, 2)
            for t in texts:
                self.assertIn(t, str(e.exception))


if __name__ == "__main__":
    unittest.main()
