#pragma once
// A small in-memory catalog for the trace format and store tests (no data files needed): one
// board "test_board" with three rails, one model "tiny_net" with three units and exits after
// units 0 and 1 (two heads after unit 1). The fixture files
// under tests/data/traces/ are written against it.

#include <string>

#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/trace_format.hpp"

namespace edgetwin::traces::testing {

inline Board test_board() {
  Board b;
  b.id = "test_board";
  b.name = "Test board (Xavier NX-like tables)";
  b.kind = "edge";
  b.cpu_freqs_khz = {345600, 729600, 1190400, 1497600, 1907200};
  b.cpu_clusters = {CpuCluster{"Carmel0", 2, b.cpu_freqs_khz}};
  b.gpu_freqs_hz = {114750000, 306000000, 510000000, 599250000, 803250000, 1109250000};
  b.emc_freqs_hz = {204000000, 665600000, 1600000000, 1866000000};
  b.power_modes = {PowerMode{0, "MAXN", 20, 2, 1907200, 1109250000, 1866000000}};
  b.rails = {Rail{"VDD_IN", "total"}, Rail{"VDD_CPU_GPU_CV", "cpu_gpu_cv"}, Rail{"VDD_SOC", "soc"}};
  b.total_rail = "VDD_IN";
  b.idle_power_w = 3;
  b.max_power_w = 20;
  return b;
}

inline Model tiny_net() {
  Model m;
  m.id = "tiny_net";
  m.name = "Tiny test network";
  m.task = "classification";
  m.input_shape = {1, 3, 32, 32};
  m.num_classes = 10;
  const char* names[] = {"stem", "block1", "head"};
  for (int i = 0; i < 3; ++i) {
    Unit u;
    u.index = i;
    u.name = names[i];
    u.kind = i == 0 ? "stem" : (i == 2 ? "head" : "conv");
    u.macs = 1000000;
    u.output_elements = 1024;
    u.boundary_elements = 1024;
    m.units.push_back(u);
  }
  // Two exit points; the second unit has two heads (like Inception-v3 after unit 9).
  m.exits = {ExitPoint{0, "gap_fc", 640, 650}, ExitPoint{1, "gap_fc", 640, 650},
             ExitPoint{1, "aux", 5000, 5100}};
  return m;
}

inline Catalog test_catalog() {
  Catalog catalog;
  catalog.add_board(test_board());
  catalog.add_model(tiny_net());
  return catalog;
}

inline Provenance synthetic_provenance(const std::string& runtime = "pytorch") {
  Provenance p;
  p.kind = "synthetic-calibrated";
  p.board = "test_board";
  p.model = "tiny_net";
  p.runtime = runtime;
  p.precision = "fp32";
  p.generator = "edgetwin-test 1";
  p.calibration = {"analytic test function"};
  return p;
}

}  // namespace edgetwin::traces::testing
