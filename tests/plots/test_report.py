"""plots/report.py: the table rows, the relative changes against the baseline, the failed-run list
and the command's output and errors, on the tiny database of tiny_db.py."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PLOTS = os.path.join(HERE, "..", "..", "plots")
sys.path.insert(0, PLOTS)
sys.path.insert(0, HERE)

import edgetwin_results as er  # noqa: E402
import report  # noqa: E402
import tiny_db  # noqa: E402

T2 = 4.3027   # t(0.975, 2)
T1 = 12.7062  # t(0.975, 1)


def run_report(*args):
    return subprocess.run([sys.executable, "-B", os.path.join(PLOTS, "report.py"), *args],
                          capture_output=True, text=True)


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edgetwin_report_")
        cls.path = tiny_db.build(cls.tmp)
        cls.results = er.load(cls.path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_rows_and_relative_changes(self):
        bw, solo = report.tables(self.results)
        self.assertEqual((bw.by, bw.baseline), ("policy", "race"))
        # rows grouped by bandwidth, baseline first
        self.assertEqual([(r.by_label, dict(r.rest)["bandwidth_bps"]) for r in bw.rows],
                         [("race", 1e6), ("e4", 1e6), ("race", 2e7), ("e4", 2e7)])
        race1, e41, race2, e42 = bw.rows
        self.assertTrue(race1.is_baseline and race2.is_baseline)
        self.assertFalse(e41.is_baseline)
        self.assertEqual([r.n for r in bw.rows], [3, 3, 3, 3])
        self.assertAlmostEqual(e41.changes["energy_per_request_j"], 0.09 / 0.12 - 1, places=12)
        self.assertAlmostEqual(e42.changes["energy_per_request_j"], 0.16 / 0.21 - 1, places=12)
        self.assertAlmostEqual(e41.changes["latency_p95_s"], 0.11 / 0.09 - 1, places=12)
        self.assertAlmostEqual(e41.changes["throughput_rps"], 90 / 110 - 1, places=12)
        self.assertAlmostEqual(race1.changes["energy_per_request_j"], 0.0, places=12)
        self.assertEqual([r.run_id for r in bw.failed], ["000000000000000c"])
        self.assertEqual([r.run_id for r in bw.unfinished], ["000000000000000d"])
        race, e4 = solo.rows
        self.assertAlmostEqual(e4.changes["energy_per_request_j"], 0.6 / 1.1 - 1, places=12)
        self.assertTrue(math.isnan(e4.changes["slo_violation_rate"]))  # baseline mean is 0

    def test_other_baseline_and_axis(self):
        bw, _ = report.tables(self.results, baseline="e4", metrics=["energy_per_request_j"])
        race1 = bw.rows[0]
        self.assertAlmostEqual(race1.changes["energy_per_request_j"], 0.12 / 0.09 - 1, places=12)
        (bw,) = report.tables(self.results, by="bandwidth_bps", baseline="2e7",
                              metrics=["latency_p95_s"])
        self.assertEqual([(r.by_label, dict(r.rest)["policy"]) for r in bw.rows],
                         [("1000000", "race"), ("20000000", "race"), ("1000000", "e4"),
                          ("20000000", "e4")])
        self.assertAlmostEqual(bw.rows[0].changes["latency_p95_s"], 0.09 / 0.05 - 1, places=12)

    def test_formatting(self):
        self.assertEqual(report.fmt_change(-0.261), "-26.1 %")
        self.assertEqual(report.fmt_change(0.2222), "+22.2 %")
        self.assertEqual(report.fmt_change(-0.0001), "0.0 %")
        self.assertEqual(report.fmt_change(math.nan), "—")
        self.assertEqual(report.fmt_stat(er.seed_stats([1.0, 1.2]), "energy_per_request_j"),
                         "1.1 ± 1.3")  # 12.7062 * 0.1414 / 1.414
        self.assertEqual(report.fmt_stat(er.seed_stats([0.1, 0.2, 0.3]), "slo_violation_rate"),
                         "20 ± 25")  # in %: 4.3027 * 10 / sqrt(3)
        self.assertEqual(report.fmt_stat(er.seed_stats([0.5]), "latency_p95_s"), "0.5")

    def test_markdown_output(self):
        p = run_report(self.path)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        self.assertIn("## sweep 'paper', group 'bw': by policy, baseline race (SYNTHETIC traces)",
                      out)
        self.assertIn("## sweep 'paper', group 'solo': by policy, baseline race\n", out)
        self.assertIn("| policy | bandwidth_bps | n | energy_per_request_j (J) | vs race | "
                      "latency_p95_s (s) | vs race |", out)
        # e4 at 1 Mbit/s: energy 0.09 ± 4.3027 * 0.01 / sqrt(3) = 0.025, -25.0 %;
        # latency 0.11, +22.2 %; SLO violations 30 % vs 20 %: +50.0 %; throughput 90 vs 110
        self.assertIn("| e4 | 1000000 | 3 | 0.09 ± 0.025 | -25.0 % | 0.11 ± 0.025 | +22.2 % "
                      "| 30 ± 25 | +50.0 % | 90 ± 0 | -18.2 % |", out)
        self.assertIn("| race | 1000000 | 3 | 0.12 ± 0.05 | baseline |", out)
        self.assertIn("| e4 | 20000000 | 3 | 0.16 ± 0.025 | -23.8 % | 0.05 ± 0.025 | 0.0 % |",
                      out)
        self.assertIn("| e4 | 2 | 0.6 ± 1.3 | -45.5 % |", out)
        self.assertIn("12 done, 1 failed, 1 pending or running runs.", out)
        self.assertIn("1 failed run:\n- `000000000000000c` policy=e4, bandwidth_bps=20000000, "
                      "seed 4, failed, exit code 1: edgetwin run: simulated crash / exit code 1",
                      out)
        self.assertIn("1 not finished run:\n- `000000000000000d` policy=race, "
                      "bandwidth_bps=1000000, seed 4, pending", out)

    def test_metric_selection(self):
        p = run_report(self.path, "--metrics", "devices,energy_per_request_j", "--where",
                       "policy=e4", "--baseline", "e4")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("| policy | bandwidth_bps | n | devices | vs e4 | energy_per_request_j (J) "
                      "| vs e4 |", p.stdout)
        self.assertNotIn("| race |", p.stdout)

    def test_errors(self):
        cases = [
            ((self.path, "--by", "nope"), 2, "error: --by nope: no such sweep axis in "
             f"{self.path} (allowed: policy, bandwidth_bps)"),
            ((self.path, "--baseline", "dvfo"), 2, "error: --baseline dvfo: not a value of axis "
             f"'policy' in {self.path} (allowed: race, e4)"),
            ((self.path, "--metrics", "energy_j"), 2, "error: --metrics energy_j: no such metric"),
            ((os.path.join(self.tmp, "none.sqlite"),), 3, "none.sqlite: no such file"),
            ((os.path.join(self.tmp, "results.runs", tiny_db.TIMELINE_RUN, "requests.csv"),), 3,
             "requests.csv: not an EdgeTwin results database"),
            ((self.path, "--frobnicate"), 2, "unrecognized arguments: --frobnicate"),
        ]
        for args, code, text in cases:
            p = run_report(*args)
            self.assertEqual(p.returncode, code, args)
            self.assertIn(text, p.stderr)
            self.assertNotIn("Traceback", p.stderr)
            self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    unittest.main()
