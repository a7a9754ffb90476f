#pragma once
// What the simulation tests share: the catalog, the calibrated synthetic traces of MobileNet-v2
// on the boards a test names (generated in memory), the power model and the built-in policies,
// and a one-group scenario around them.

#include <initializer_list>
#include <map>
#include <string>

#include "edgetwin/policies/policy.hpp"
#include "edgetwin/sim/scenario.hpp"
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

/// `devices` Xavier NX devices running `pols`, each fed one MobileNet-v2 video stream at `fps`
/// for `duration_s`; access link 1 MB/s and 10 ms; with `with_cloud` an RTX 3080 behind a
/// 1 GB/s, 20 ms WAN.
inline ScenarioSpec one_group_scenario(int devices, double fps, double duration_s,
                                       std::map<std::string, PolicySpec> pols, bool with_cloud = false) {
  ScenarioSpec spec;
  spec.name = "test";
  spec.duration_s = duration_s;
  DeviceGroupSpec g;
  g.name = "g";
  g.board = "xavier_nx";
  g.count = devices;
  g.models = {"mobilenet_v2"};
  g.policies = std::move(pols);
  g.access.bandwidth_bps = 8e6;  // 1 MB/s
  g.access.latency_s = 0.01;
  spec.groups.push_back(g);
  if (with_cloud) {
    spec.clouds.push_back(CloudSpec{"c", "rtx3080", 1});
    spec.wan.bandwidth_bps = 8e9;  // 1 GB/s
    spec.wan.latency_s = 0.02;
  }
  VideoStreamSpec v;
  v.name = "v";
  v.group = "g";
  v.model = "mobilenet_v2";
  v.fps = fps;
  v.duration_s = duration_s;
  spec.videos.push_back(v);
  spec.outputs.timeline_interval_s = 0.25;
  return spec;
}

}  // namespace edgetwin::sim::test
