#pragma once
// What the simulation tests share: the catalog, the calibrated synthetic traces of MobileNet-v2
// on the boards a test names (generated in memory), the power model and the built-in policies.

#include <initializer_list>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/synth.hpp"
#include "edgetwin/traces/trace_store.hpp"

namespace edgetwin::sim::test {

struct MobileNetFixture {
  traces::Catalog catalog = traces::Catalog::load(EDGETWIN_CATALOG_DIR);
  traces::Synthesizer synth{
      catalog, traces::load_synth_calibration(traces::default_calibration_path(EDGETWIN_CATALOG_DIR))};
  traces::TraceStore store{catalog};
  policies::PolicyRegistry registry;
  explicit MobileNetFixture(std::initializer_list<const char*> boards = {"xavier_nx", "rtx3080"}) {
    policies::register_builtin_policies(registry);
    for (const char* board : boards) {
      store.add(synth.generate(catalog.board(board), catalog.model("mobilenet_v2"), traces::SynthOptions{}));
    }
  }
  const traces::Board& nx() const { return catalog.board("xavier_nx"); }
  const traces::Model& model() const { return catalog.model("mobilenet_v2"); }
};

}  // namespace edgetwin::sim::test
