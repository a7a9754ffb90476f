// Per-frame exit records: the file format round-trips and rejects defects with file, line and
// column; the SYNTHETIC generator is deterministic, calibrated to the accuracy table over the
// complexity distribution, nested across exits, and its confidence tracks correctness.
#include "edgetwin/traces/exit_records.hpp"

#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"
#include "edgetwin/common/hash.hpp"
#include "edgetwin/traces/catalog.hpp"

namespace edgetwin::traces {
namespace {

// Three units of equal MACs, exits after units 0 and 1.
Model small_model() {
  Model m;
  m.id = "small";
  m.num_classes = 10;
  for (int i = 0; i < 3; ++i) {
    Unit u;
    u.index = i;
    u.name = "u" + std::to_string(i);
    u.macs = 1000;
    m.units.push_back(u);
  }
  m.exits = {ExitPoint{0, "gap_fc", 10, 11}, ExitPoint{1, "gap_fc", 10, 11}};
  return m;
}

// final 0.8; exits by the curve 1 - 0.6 (1 - d): d = 1/3 -> 0.8 x 0.6 = 0.48, d = 2/3 -> 0.8 x 0.8 = 0.64.
AccuracyTable small_table() {
  AccuracyTable t;
  t.model = "small";
  t.dataset_key = "toy";
  t.final_accuracy = 0.8;
  t.exit_curve.max_relative_loss = 0.6;
  t.exit_curve.exponent = 1;
  t.file = "small.json";
  return t;
}

TEST(ExitRecordGenerator, PerHeadAccuracyComesFromTheTable) {
  const Model m = small_model();
  const AccuracyTable t = small_table();
  const ExitRecordGenerator g(m, t, {});
  ASSERT_EQ(g.accuracies().size(), 3u);
  EXPECT_NEAR(g.accuracies()[0], 0.48, 1e-12);
  EXPECT_NEAR(g.accuracies()[1], 0.64, 1e-12);
  EXPECT_NEAR(g.accuracies()[2], 0.8, 1e-12);
  // p = a + 2 s a (1 - a) (m - c): at c = 0.9, s = 0.5, m = 0.5: 0.8 - 0.16 x 0.4 = 0.736.
  EXPECT_NEAR(g.p_correct(2, 0.9), 0.736, 1e-12);
  EXPECT_NEAR(g.p_correct(0, 0.5), 0.48, 1e-12);
  EXPECT_THROW(ExitRecordGenerator(m, t, ExitRecordGeneratorParams{0.5, 0.6, 1.5, 0.5, 1}),
               std::invalid_argument);
}

TEST(ExitRecordGenerator, IsDeterministicFromSeedSequenceAndComplexity) {
  const Model m = small_model();
  const AccuracyTable t = small_table();
  ExitRecordGeneratorParams p;
  p.seed = 42;
  const ExitRecordGenerator a(m, t, p);
  const ExitRecordGenerator b(m, t, p);
  int differs = 0;
  for (std::uint64_t n = 0; n < 200; ++n) {
    const ExitRecord x = a.generate(0.3, n);
    const ExitRecord y = b.generate(0.3, n);
    ASSERT_EQ(x.outcomes.size(), 3u);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(x.outcomes[static_cast<std::size_t>(k)].correct,
                y.outcomes[static_cast<std::size_t>(k)].correct);
      EXPECT_EQ(x.outcomes[static_cast<std::size_t>(k)].confidence,
                y.outcomes[static_cast<std::size_t>(k)].confidence);
      EXPECT_EQ(a.outcome(0.3, n, k).confidence, x.outcomes[static_cast<std::size_t>(k)].confidence);
    }
    differs += x.outcomes[2].confidence != a.generate(0.3, n + 1).outcomes[2].confidence;
  }
  EXPECT_GT(differs, 190);
  p.seed = 43;
  const ExitRecordGenerator c(m, t, p);
  EXPECT_NE(c.generate(0.3, 5).outcomes[2].confidence, a.generate(0.3, 5).outcomes[2].confidence);
}

TEST(ExitRecordGenerator, MatchesTheTableOverTheComplexityDistribution) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  const Model& model = catalog.model("resnet50");
  const AccuracyTable& table = *catalog.accuracy("resnet50");
  ExitRecordGeneratorParams p;
  p.mean_complexity = 0.4;
  p.seed = 7;
  const ExitRecordGenerator g(model, table, p);
  const std::size_t heads = model.exits.size() + 1;
  std::vector<double> correct(heads, 0), conf_right(heads, 0), conf_wrong(heads, 0), n_right(heads, 0);
  long nested_violations = 0;
  const int frames = 200000;
  for (int n = 0; n < frames; ++n) {
    // Complexity uniform on [0.1, 0.7]: mean 0.4, as the generator was told.
    const double c = 0.1 + 0.6 * common::uniform01(common::hash_combine(99, static_cast<std::uint64_t>(n)));
    const ExitRecord r = g.generate(c, static_cast<std::uint64_t>(n));
    for (std::size_t k = 0; k < heads; ++k) {
      const ExitOutcome& o = r.outcomes[k];
      correct[k] += o.correct;
      (o.correct ? conf_right[k] : conf_wrong[k]) += o.confidence;
      n_right[k] += o.correct;
      // The table's accuracy rises with depth, so correct here means correct at every later head.
      if (o.correct && k + 1 < heads && !r.outcomes[k + 1].correct) ++nested_violations;
    }
  }
  for (std::size_t k = 0; k < heads; ++k) {
    // Binomial standard error <= 0.5 / sqrt(200000) = 0.0011; the tolerance is 5 of them.
    EXPECT_NEAR(correct[k] / frames, g.accuracies()[k], 0.0056) << "head " << k;
    EXPECT_GT(conf_right[k] / n_right[k], conf_wrong[k] / (frames - n_right[k]) + 0.15) << "head " << k;
  }
  EXPECT_EQ(nested_violations, 0);
  // Harder frames are less often right (final head: 0.7613 -/+ 0.5 x 2 x 0.7613 x 0.2387 x 0.3).
  EXPECT_LT(g.p_correct(static_cast<int>(heads) - 1, 0.7), g.p_correct(static_cast<int>(heads) - 1, 0.1));
  EXPECT_NEAR(g.p_correct(static_cast<int>(heads) - 1, 0.7), 0.7613 - 0.7613 * 0.2387 * 0.3, 1e-12);
}

TEST(ExitRecordGenerator, FeaturesTrackComplexityAndDifficulty) {
  const Model m = small_model();
  const AccuracyTable t = small_table();
  ExitRecordGeneratorParams p;
  p.seed = 5;
  EXPECT_TRUE(ExitRecordGenerator(m, t, p).generate(0.5, 1).features.empty());  // 0 features: none
  p.feature_count = 8;
  p.feature_noise = 0.5;
  const ExitRecordGenerator g(m, t, p);
  EXPECT_EQ(g.features(0.5, 3), g.generate(0.5, 3).features);
  ASSERT_EQ(g.features(0.5, 3).size(), 8u);
  // At the mean complexity a feature is sin(theta) logit(u) / 1.7 + noise with sin(theta) >= 0, and
  // the final head is right iff u < 0.8: the features of right frames are lower on average.
  double right = 0, wrong = 0, n_right = 0;
  for (std::uint64_t n = 0; n < 20000; ++n) {
    const auto f = g.features(0.5, n);
    double mean = 0;
    for (const float x : f) mean += x / 8.0;
    if (g.outcome(0.5, n, 2).correct) {
      right += mean;
      n_right += 1;
    } else {
      wrong += mean;
    }
  }
  EXPECT_LT(right / n_right + 0.3, wrong / (20000 - n_right));
  // Harder scenes (complexity above the mean) move the features by cos(theta) x (c - m) / 0.2,
  // in both directions: the distance between the same frame's features at two complexities is
  // sqrt(sum cos^2(theta_j)) x 2, more than 0 and at most sqrt(8) x 2.
  const auto lo = g.features(0.3, 11), hi = g.features(0.7, 11);
  double d2 = 0;
  for (std::size_t j = 0; j < 8; ++j) d2 += (hi[j] - lo[j]) * (hi[j] - lo[j]);
  EXPECT_GT(d2, 0.0);
  EXPECT_LE(std::sqrt(d2), std::sqrt(8.0) * 2 + 1e-5);
  p.feature_count = kMaxGeneratedFeatures + 1;
  EXPECT_THROW(ExitRecordGenerator(m, t, p), std::invalid_argument);
}

TEST(VideoAccuracyTables, ExitCurveFittedToFrameExitFigures) {
  const Catalog catalog = Catalog::load(EDGETWIN_CATALOG_DIR);
  for (const char* model : {"efficientnet_b0", "mobilenet_v2"}) {
    for (const char* key : {"activitynet_v13", "minikinetics"}) {
      const AccuracyTable* t = catalog.accuracy(model, key);
      ASSERT_NE(t, nullptr) << model << " " << key;
      EXPECT_EQ(t->exit_curve.max_relative_loss, 1.0);
      EXPECT_EQ(t->exit_curve.exponent, 4.07);
      ASSERT_EQ(t->calibration.size(), 6u);
      // 17.96 / 41.2 GFLOPs kept 72.72 / 77.30 mAP; the curve gives 1 - (1 - 0.4359)^4.07 = 0.9027.
      EXPECT_NEAR(t->calibration[0].compute_share, 0.4359, 1e-12);
      EXPECT_NEAR(t->calibration[0].relative_accuracy, 0.9408, 1e-12);
      EXPECT_NEAR(t->exit_curve.factor(0.4359), 0.9027, 5e-4);
      for (const auto& c : t->calibration)
        EXPECT_NEAR(t->exit_curve.factor(c.compute_share), c.relative_accuracy, 0.04) << c.compute_share;
    }
  }
  // 0.7730 x 77.692 / 76.130 and 0.7331 x 71.878 / 76.130 (docs/accuracy.md, Video workloads).
  EXPECT_NEAR(catalog.accuracy("efficientnet_b0", "activitynet_v13")->final_accuracy, 0.7889, 1e-12);
  EXPECT_NEAR(catalog.accuracy("mobilenet_v2", "minikinetics")->final_accuracy, 0.6922, 1e-12);
}

ExitRecordsFile sample_file() {
  const Model m = small_model();
  const AccuracyTable t = small_table();
  const ExitRecordGenerator g(m, t, {});
  ExitRecordsFile f;
  f.provenance = {"synthetic", "small", "toy", g.describe(), "test"};
  f.feature_count = 2;
  for (std::uint64_t n = 0; n < 5; ++n) {
    ExitRecord r = g.generate(0.1 * static_cast<double>(n), n);
    r.features = {0.1f * static_cast<float>(n), -2.5f};
    f.records.push_back(r);
  }
  return f;
}

TEST(ExitRecordsFile, WriteReadRoundTripsExactly) {
  const Model m = small_model();
  const ExitRecordsFile f = sample_file();
  std::ostringstream out;
  write_exit_records(f, out, m);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("# edgetwin-exit-records 1\n# provenance: {\"kind\":\"synthetic\",\"model\":\"small\","
                       "\"dataset_key\":\"toy\",\"source\":\"edgetwin-exit-synth 1 (SYNTHETIC",
                       0),
            0u)
      << text;
  EXPECT_NE(
      text.find("\nframe,exit0_confidence,exit0_correct,exit1_confidence,exit1_correct,final_confidence,"
                "final_correct,feature0,feature1\n0,"),
      std::string::npos)
      << text;
  std::istringstream in(text);
  const ExitRecordsFile back = parse_exit_records(in, "records.csv", m);
  ASSERT_EQ(back.records.size(), 5u);
  EXPECT_EQ(back.feature_count, 2);
  for (std::size_t n = 0; n < 5; ++n) {
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(back.records[n].outcomes[k].confidence, f.records[n].outcomes[k].confidence);
      EXPECT_EQ(back.records[n].outcomes[k].correct, f.records[n].outcomes[k].correct);
    }
    EXPECT_EQ(back.records[n].features, f.records[n].features);
  }
  std::ostringstream again;
  write_exit_records(back, again, m);
  EXPECT_EQ(again.str(), text);

  // A source over the file: frame n gets record n mod 5; exits by after_unit, -1 = final.
  const ExitRecordSource source(back, m);
  EXPECT_EQ(source.outcome(7, 0.9, 1).confidence, back.records[2].outcomes[1].confidence);
  EXPECT_EQ(source.correct(3, 0.0, -1), back.records[3].outcomes[2].correct ? 1 : 0);
  EXPECT_EQ(source.correct(3, 0.0, 2), back.records[3].outcomes[2].correct ? 1 : 0);  // after the last unit
  Model one_exit = m;
  one_exit.exits.pop_back();  // unit 1 is no longer an exit point
  EXPECT_THROW(outcome_index(one_exit, 1), std::invalid_argument);
  EXPECT_EQ(outcome_index(one_exit, 0), 0);
  EXPECT_EQ(outcome_index(one_exit, -1), 1);
  EXPECT_TRUE(source.synthetic());
}

TEST(ExitRecordsFile, RejectsDefectsWithFileLineAndColumn) {
  const Model m = small_model();
  const std::string head =
      "# edgetwin-exit-records 1\n# provenance: "
      "{\"kind\":\"measured\",\"model\":\"small\",\"dataset_key\":\"toy\","
      "\"source\":\"hand\"}\n";
  const std::string columns =
      "frame,exit0_confidence,exit0_correct,exit1_confidence,exit1_correct,final_confidence,final_correct\n";
  const std::string ok = "0,0.5,1,0.6,1,0.9,1\n";
  struct Case {
    std::string text, where, reason;
  } cases[] = {
      {"# edgetwin-exit-records 2\n", "line 1", "expected the format line '# edgetwin-exit-records 1'"},
      {"# edgetwin-exit-records 1\n# provenance: {\"kind\":\"guess\"}\n", "line 2, provenance/kind",
       "allowed: measured, synthetic"},
      {"# edgetwin-exit-records 1\n# provenance: "
       "{\"kind\":\"measured\",\"model\":\"resnet50\",\"dataset_key\":\"x\","
       "\"source\":\"s\"}\n" +
           columns + ok,
       "line 2, provenance/model", "found \"resnet50\", allowed: \"small\""},
      {head + "frame,exit0_confidence,exit0_correct,final_confidence,final_correct\n" + ok,
       "line 3, column 4", "found 'final_confidence', allowed: 'exit1_confidence'"},
      {head + "frame,exit0_confidence,exit0_correct,exit1_confidence,exit1_correct,final_confidence\n",
       "line 3, column final_correct", "required column missing"},
      {head + columns, "line 3", "no records"},
      {head + columns + "0,0.5,1,0.6,2,0.9,1\n", "line 4, column exit1_correct", "found '2', allowed: 0, 1"},
      {head + columns + "0,1.5,1,0.6,1,0.9,1\n", "line 4, column exit0_confidence",
       "1.5 is out of range; allowed: [0, 1]"},
      {head + columns + "0,x,1,0.6,1,0.9,1\n", "line 4, column exit0_confidence",
       "'x' is not a finite number"},
      {head + columns + ok + "2,0.5,1,0.6,1,0.9,1\n", "line 5, column frame", "found '2', allowed: 1"},
      {head + columns + "0,0.5,1,0.6,1,0.9\n", "line 4", "found 6 fields, the header has 7"},
  };
  for (const Case& c : cases) {
    std::istringstream in(c.text);
    try {
      parse_exit_records(in, "bad.csv", m);
      ADD_FAILURE() << "accepted:\n" << c.text;
    } catch (const common::DataError& e) {
      EXPECT_EQ(e.file(), "bad.csv");
      EXPECT_EQ(e.where(), c.where) << e.what();
      EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace edgetwin::traces
