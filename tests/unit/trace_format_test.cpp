// Trace file format: the good fixture reads as written by hand, every kind of defect is rejected
// with the file, the line and the column, and write -> read round-trips exactly.

#include "edgetwin/traces/trace_format.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "edgetwin/common/error.hpp"

#include "trace_test_support.hpp"

namespace edgetwin::traces {
namespace {

const std::string kTraceDir = std::string(EDGETWIN_TEST_DATA_DIR) + "/traces";
const std::string kGoodFile = kTraceDir + "/good/test_board_tiny_net_pytorch_fp32.csv";

TEST(TraceFormat, ReadsTheGoodFixture) {
  const Catalog catalog = testing::test_catalog();
  const TraceFile trace = read_trace_file(kGoodFile, catalog);
  EXPECT_EQ(trace.path, kGoodFile);
  EXPECT_EQ(trace.provenance.kind, "synthetic-calibrated");
  EXPECT_EQ(trace.provenance.board, "test_board");
  EXPECT_EQ(trace.provenance.model, "tiny_net");
  EXPECT_EQ(trace.provenance.runtime, "pytorch");
  EXPECT_EQ(trace.provenance.precision, "fp32");
  EXPECT_EQ(trace.provenance.generator, "edgetwin-test 1");
  ASSERT_EQ(trace.provenance.calibration.size(), 1u);
  EXPECT_EQ(trace.rails, (std::vector<std::string>{"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}));
  ASSERT_EQ(trace.samples.size(), 6u);
  const TraceSample& s = trace.samples[1];
  EXPECT_EQ(s.unit, 0);
  EXPECT_EQ(s.batch, 1);
  EXPECT_EQ(s.concurrency, 1);
  EXPECT_EQ(s.clocks, (ClockSetting{1190400, 510000000, 1600000000}));
  EXPECT_EQ(s.latency_mean_s, 0.00231);
  EXPECT_EQ(s.latency_std_s, 0.00003);
  EXPECT_EQ(s.repeats, 50);
  EXPECT_EQ(s.power_total_w, 5.5);
  ASSERT_EQ(s.rail_power_w.size(), 3u);
  EXPECT_EQ(s.rail_power_w[1], 2.1);
  EXPECT_TRUE(std::isnan(s.rail_power_w[2]));  // empty cell: unknown
  EXPECT_EQ(trace.samples[5].batch, 2);
}

struct Defect {
  const char* file;    // under tests/data/traces/bad/
  const char* where;   // expected common::DataError::where()
  const char* reason;  // a substring of common::DataError::reason()
};

class TraceDefect : public ::testing::TestWithParam<Defect> {};

TEST_P(TraceDefect, IsRejectedWithFileLineAndColumn) {
  const Catalog catalog = testing::test_catalog();
  const Defect& d = GetParam();
  const std::string path = kTraceDir + "/bad/" + d.file;
  try {
    read_trace_file(path, catalog);
    FAIL() << d.file << " was accepted";
  } catch (const common::DataError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.where(), d.where) << e.what();
    EXPECT_NE(e.reason().find(d.reason), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, TraceDefect,
    ::testing::Values(
        Defect{"bad_magic.csv", "line 1", "expected the format line '# edgetwin-trace 2'"},
        Defect{"bad_version.csv", "line 1",
               "unsupported trace format version '3'; this build reads versions 1 to 2"},
        Defect{"head_in_version1.csv", "line 5, column unit",
               "'head:0' is an exit-head row, which needs trace format version 2; line 1 says version 1"},
        Defect{"head_not_an_exit.csv", "line 5, column unit",
               "model 'tiny_net' has no exit after unit 2; allowed: head:0 (gap_fc), head:1 (gap_fc), "
               "head:1 (aux)"},
        Defect{"head_not_integer.csv", "line 5, column unit", "'head:x' is not head:K with K an integer"},
        Defect{"head_name_mismatch.csv", "line 5, column unit_name",
               "'fc' does not match the exit head after unit 0 of model 'tiny_net', which is 'gap_fc'"},
        Defect{
            "head_duplicate_key.csv", "line 6, column unit",
            "duplicate sample key (unit, batch, concurrency, cpu_khz, gpu_hz, emc_hz) = (head:0 gap_fc,1,1,"
            "1907200,1109250000,1866000000), first on line 5"},
        Defect{"head_without_units.csv", "line 4", "the file has head rows but no unit samples"},
        Defect{"head_zero_latency.csv", "line 5, column latency_mean_s", "0 is out of range; allowed: > 0"},
        Defect{"bad_provenance_json.csv", "line 2, provenance", "invalid JSON"},
        Defect{"missing_calibration.csv", "line 2, provenance/calibration", "non-empty array"},
        Defect{"unknown_board.csv", "line 2, provenance/board",
               "unknown board 'jetson_banana'; known boards: test_board"},
        Defect{"unknown_model.csv", "line 2, provenance/model",
               "unknown model 'resnet1000'; known models: tiny_net"},
        Defect{"unit_out_of_range.csv", "line 5, column unit",
               "3 is out of range; model 'tiny_net' has units 0..2"},
        Defect{"unit_name_mismatch.csv", "line 5, column unit_name",
               "'block2' does not match unit 1 of model 'tiny_net', which is 'block1'"},
        Defect{"freq_not_in_table.csv", "line 6, column gpu_hz",
               "1100000000 Hz is not in the test_board table; allowed: 114750000, 306000000"},
        Defect{"zero_latency.csv", "line 5, column latency_mean_s", "0 is out of range; allowed: > 0"},
        Defect{"unparsable_number.csv", "line 5, column latency_mean_s", "'1.2x' is not a finite number"},
        Defect{"wrong_column_count.csv", "line 5", "found 13 fields, the header has 14"},
        Defect{"duplicate_key.csv", "line 7, column unit", "first on line 5"},
        Defect{"unknown_rail.csv", "line 3, column power_VDD_GPU_w",
               "board 'test_board' has no rail 'VDD_GPU'; its rails: VDD_IN, VDD_CPU_GPU_CV, VDD_SOC"},
        Defect{"missing_column.csv", "line 3, column latency_std_s", "required column missing"},
        Defect{"rail_above_total.csv", "line 5, column power_VDD_CPU_GPU_CV_w", "exceeds power_total_w"}),
    [](const ::testing::TestParamInfo<Defect>& defect) {
      std::string name = defect.param.file;
      return name.substr(0, name.find('.'));
    });

// Defects easier to state inline than as fixture files.
std::string header_lines(const std::string& provenance_json) {
  return "# edgetwin-trace 1\n# provenance: " + provenance_json +
         "\n"
         "unit,unit_name,batch,concurrency,cpu_khz,gpu_hz,emc_hz,latency_mean_s,latency_std_s,repeats,"
         "power_total_w,power_VDD_IN_w\n";
}
const char* const kSynthetic =
    R"({"kind":"synthetic-calibrated","board":"test_board","model":"tiny_net","runtime":"pytorch","precision":"fp32","generator":"g 1","calibration":["x"]})";

common::DataError parse_error(const std::string& text) {
  const Catalog catalog = testing::test_catalog();
  std::istringstream in(text);
  try {
    parse_trace(in, "inline.csv", catalog);
  } catch (const common::DataError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return common::DataError("", "", "");
}

TEST(TraceFormat, RejectsInlineDefects) {
  const std::string ok_row = "0,stem,1,1,1907200,1109250000,1866000000,0.001,0,1,7.5,7.5\n";
  struct Case {
    std::string text, where, reason;
  } cases[] = {
      {"", "line 1", "empty file"},
      {header_lines(kSynthetic), "line 3", "no samples"},
      {header_lines(
           R"({"kind":"measured","board":"test_board","model":"tiny_net","runtime":"pytorch","precision":"fp32","software_stack":"JetPack 5"})") +
           ok_row,
       "line 2, provenance/date", "required field is missing"},
      {header_lines(
           R"({"kind":"measured","board":"test_board","model":"tiny_net","runtime":"pytorch","precision":"fp32","software_stack":"JetPack 5","date":"May 2024"})") +
           ok_row,
       "line 2, provenance/date", "ISO date"},
      {header_lines(
           R"({"kind":"measured","board":"test_board","model":"tiny_net","runtime":"pytorch","precision":"fp32","software_stack":"s","date":"2024-05-01","generator":"g"})") +
           ok_row,
       "line 2, provenance/generator",
       "unknown field; allowed fields here: kind, board, model, runtime, precision, notes, software_stack, "
       "date "
       "(for a 'measured' trace)"},
      {header_lines(
           R"({"kind":"synthetic-calibrated","board":"test_board","model":"tiny_net","runtime":"pytorch","precision":"fp64","generator":"g 1","calibration":["x"]})") +
           ok_row,
       "line 2, provenance/precision", "allowed: fp32, fp16, int8"},
      {header_lines(R"({"kind":"guessed","board":"test_board"})") + ok_row, "line 2, provenance/kind",
       "found \"guessed\", allowed: measured, synthetic-calibrated"},
      {header_lines(kSynthetic) + "0,stem,1,1,1907200,1109250000,1866000000,0.001,-0.1,1,7.5,7.5\n",
       "line 4, column latency_std_s", "allowed: >= 0"},
      {header_lines(kSynthetic) + "0,stem,1,1,1907200,1109250000,1866000000,0.001,0,0,7.5,7.5\n",
       "line 4, column repeats", "allowed: >= 1"},
      {header_lines(kSynthetic) + "0,stem,0,1,1907200,1109250000,1866000000,0.001,0,1,7.5,7.5\n",
       "line 4, column batch", "allowed: >= 1"},
      {header_lines(kSynthetic) + "0,stem,1,1,1907200,1109250000,1866000000,0.001,0,1,7.5,7.6\n",
       "line 4, column power_VDD_IN_w", "whole-module rail"},
      {header_lines(kSynthetic) + "0,stem,1,1,1907200,1109250000,1866000000,0.001,0,1,nan,7.5\n",
       "line 4, column power_total_w", "not a finite number"},
      {header_lines(kSynthetic) + "0,stem,1.5,1,1907200,1109250000,1866000000,0.001,0,1,7.5,7.5\n",
       "line 4, column batch", "'1.5' is not an integer"},
      {header_lines(kSynthetic) + "0,stem,1,1,1907200,1109250000,999,0.001,0,1,7.5,7.5\n",
       "line 4, column emc_hz", "999 Hz is not in the test_board table"},
  };
  for (const Case& c : cases) {
    const common::DataError e = parse_error(c.text);
    EXPECT_EQ(e.file(), "inline.csv");
    EXPECT_EQ(e.where(), c.where) << e.what();
    EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
  }
}

TEST(TraceFormat, WriteReadRoundTripsExactly) {
  const Catalog catalog = testing::test_catalog();
  TraceFile trace;
  trace.provenance = testing::synthetic_provenance();
  trace.provenance.calibration = {"Jetson Xavier NX datasheet: 21 TOPS", "MLPerf Inference v3.0 edge"};
  trace.provenance.notes = "quotes \" and commas, survive";
  trace.rails = {"VDD_CPU_GPU_CV", "VDD_IN"};
  const double awkward[] = {0.1 + 0.2, 1.0 / 3.0, 2.2250738585072014e-308, 123456789.123456789, 5e-324};
  int i = 0;
  for (int unit = 0; unit < 3; ++unit) {
    for (const std::int64_t gpu : {114750000, 1109250000}) {
      TraceSample s;
      s.unit = unit;
      s.batch = 1 + unit;
      s.concurrency = 2;
      s.clocks = {729600, gpu, 204000000};
      s.latency_mean_s = awkward[i % 5] + 1e-6;
      s.latency_std_s = awkward[(i + 1) % 5];
      s.repeats = 7;
      s.power_total_w = 3 * awkward[(i + 2) % 5] + 4;
      s.rail_power_w = {i % 2 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / 7.0, s.power_total_w};
      trace.samples.push_back(s);
      ++i;
    }
  }
  std::ostringstream first;
  write_trace(trace, first, catalog);
  std::istringstream in(first.str());
  const TraceFile back = parse_trace(in, "roundtrip.csv", catalog);
  ASSERT_EQ(back.samples.size(), trace.samples.size());
  EXPECT_EQ(back.rails, trace.rails);
  EXPECT_EQ(back.provenance.calibration, trace.provenance.calibration);
  EXPECT_EQ(back.provenance.notes, trace.provenance.notes);
  for (std::size_t k = 0; k < trace.samples.size(); ++k) {
    const TraceSample& a = trace.samples[k];
    const TraceSample& b = back.samples[k];
    EXPECT_EQ(a.unit, b.unit);
    EXPECT_EQ(a.batch, b.batch);
    EXPECT_EQ(a.concurrency, b.concurrency);
    EXPECT_EQ(a.clocks, b.clocks);
    EXPECT_EQ(a.latency_mean_s, b.latency_mean_s);  // bit-exact, not approximately
    EXPECT_EQ(a.latency_std_s, b.latency_std_s);
    EXPECT_EQ(a.repeats, b.repeats);
    EXPECT_EQ(a.power_total_w, b.power_total_w);
    for (std::size_t r = 0; r < a.rail_power_w.size(); ++r) {
      if (std::isnan(a.rail_power_w[r])) {
        EXPECT_TRUE(std::isnan(b.rail_power_w[r]));
      } else {
        EXPECT_EQ(a.rail_power_w[r], b.rail_power_w[r]);
      }
    }
  }
  std::ostringstream second;
  write_trace(back, second, catalog);
  EXPECT_EQ(first.str(), second.str());  // deterministic bytes
}

const std::string kHeadsFile = kTraceDir + "/heads/test_board_tiny_net_heads_pytorch_fp32.csv";

TEST(TraceFormat, ReadsHeadRowsApartFromUnitRows) {
  const Catalog catalog = testing::test_catalog();
  const TraceFile trace = read_trace_file(kHeadsFile, catalog);
  ASSERT_EQ(trace.samples.size(), 2u);  // unit rows only
  EXPECT_EQ(trace.samples[1].unit, 1);
  EXPECT_EQ(trace.samples[1].exit, -1);
  ASSERT_EQ(trace.head_samples.size(), 4u);  // in file order, rows interleaved with the units
  const TraceSample& h = trace.head_samples[1];
  EXPECT_EQ(h.unit, 0);
  EXPECT_EQ(h.exit, 0);
  EXPECT_EQ(h.clocks, (ClockSetting{345600, 114750000, 204000000}));
  EXPECT_EQ(h.latency_mean_s, 0.0008);
  EXPECT_EQ(h.power_total_w, 3.5);
  EXPECT_TRUE(std::isnan(h.rail_power_w[2]));
  // The second head after unit 1 ("aux") is exit 2 of the model, not exit 1 ("gap_fc").
  EXPECT_EQ(trace.head_samples[3].unit, 1);
  EXPECT_EQ(trace.head_samples[3].exit, 2);
}

TEST(TraceFormat, HeadRowsRoundTripAndSelectTheVersion) {
  const Catalog catalog = testing::test_catalog();
  const TraceFile trace = read_trace_file(kHeadsFile, catalog);
  std::ostringstream first;
  write_trace(trace, first, catalog);
  const std::string text = first.str();
  EXPECT_EQ(text.rfind("# edgetwin-trace 2\n", 0), 0u) << text;
  // Units first, then heads in the order given.
  EXPECT_NE(text.find("1,block1,1,1,1907200,1109250000,1866000000,0.0041,5e-05,50,9.2,9.2,4.4,1.3\n"
                      "head:0,gap_fc,1,1,1907200,1109250000,1866000000,2e-04,4e-06,50,6,6,2.5,1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("head:1,aux,1,1,1907200,1109250000,1866000000,9e-04,1e-05,50,7,7,3,1\n"),
            std::string::npos);
  std::istringstream in(text);
  const TraceFile back = parse_trace(in, "roundtrip.csv", catalog);
  ASSERT_EQ(back.head_samples.size(), trace.head_samples.size());
  for (std::size_t k = 0; k < trace.head_samples.size(); ++k) {
    EXPECT_EQ(back.head_samples[k].unit, trace.head_samples[k].unit);
    EXPECT_EQ(back.head_samples[k].exit, trace.head_samples[k].exit);
    EXPECT_EQ(back.head_samples[k].batch, trace.head_samples[k].batch);
    EXPECT_EQ(back.head_samples[k].latency_mean_s, trace.head_samples[k].latency_mean_s);
    EXPECT_EQ(back.head_samples[k].power_total_w, trace.head_samples[k].power_total_w);
  }
  std::ostringstream second;
  write_trace(back, second, catalog);
  EXPECT_EQ(text, second.str());
  // Without head rows the writer keeps version 1 (readable by builds that know only version 1).
  TraceFile units_only = trace;
  units_only.head_samples.clear();
  std::ostringstream v1;
  write_trace(units_only, v1, catalog);
  EXPECT_EQ(v1.str().rfind("# edgetwin-trace 1\n", 0), 0u);
  // A head sample whose exit does not sit after its unit cannot be written.
  TraceFile wrong = trace;
  wrong.head_samples[0].exit = 1;  // exit 1 is after unit 1, the sample says unit 0
  std::ostringstream sink;
  EXPECT_THROW(write_trace(wrong, sink, catalog), std::invalid_argument);
}

TEST(TraceFormat, GoodFixtureRewritesToTheSameSamples) {
  const Catalog catalog = testing::test_catalog();
  const TraceFile trace = read_trace_file(kGoodFile, catalog);
  std::ostringstream out;
  write_trace(trace, out, catalog);
  EXPECT_NE(out.str().find("0,stem,1,1,1190400,510000000,1600000000,0.00231,3e-05,50,5.5,5.5,2.1,\n"),
            std::string::npos)
      << out.str();
}

TEST(TraceFormat, WriterRefusesWhatTheReaderWouldReject) {
  const Catalog catalog = testing::test_catalog();
  TraceFile trace;
  trace.provenance = testing::synthetic_provenance();
  TraceSample s;
  s.clocks = {1907200, 1109250000, 1866000000};
  s.latency_mean_s = -1;  // invalid
  s.power_total_w = 5;
  trace.samples.push_back(s);
  std::ostringstream out;
  EXPECT_THROW(write_trace(trace, out, catalog), common::DataError);
  EXPECT_TRUE(out.str().empty());
  trace.samples[0].latency_mean_s = 1e-3;
  trace.provenance.date = "2024-01-01";  // a measured-only field on a synthetic trace
  EXPECT_THROW(write_trace(trace, out, catalog), std::invalid_argument);
}

}  // namespace
}  // namespace edgetwin::traces
