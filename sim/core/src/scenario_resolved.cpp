// The resolved scenario document: every field with its effective value, in the input layout, so
// that a run folder's scenario.resolved.json reproduces the run.

#include "scenario_detail.hpp"

namespace edgetwin::sim::detail {

using nlohmann::json;

namespace {

json link_json(const LinkSpec& link) {
  json process = {{"kind", link.process.kind}};
  if (link.process.kind == "trace") {
    process["file"] = link.process.trace_file;
    process["loop"] = link.process.loop;
  } else if (link.process.kind == "markov") {
    process["good_bandwidth_bps"] = link.process.good_bandwidth_bps;
    process["bad_bandwidth_bps"] = link.process.bad_bandwidth_bps;
    process["mean_good_s"] = link.process.mean_good_s;
    process["mean_bad_s"] = link.process.mean_bad_s;
  }
  return {{"bandwidth_bps", link.bandwidth_bps}, {"latency_s", link.latency_s}, {"process", process}};
}

json wan_json(const ScenarioSpec& spec) {
  json wan = link_json(spec.wan);
  wan["sharing"] = spec.wan_sharing;
  return wan;
}

json group_json(const DeviceGroupSpec& g) {
  json access = link_json(g.access);
  access["radio_tx_power_w"] = g.access.radio_tx_power_w;
  if (g.access.radio_rx_power_w > 0) access["radio_rx_power_w"] = g.access.radio_rx_power_w;
  json policies = json::object();
  for (const auto& [role, p] : g.policies) policies[role] = {{"name", p.name}, {"params", p.params}};
  json out = {{"name", g.name},           {"board", g.board},
              {"count", g.count},         {"power_mode", g.power_mode},
              {"models", g.models},       {"policies", policies},
              {"backend", g.backend},     {"access", access},
              {"ambient_c", g.ambient_c}, {"initial_temp_c", g.initial_temp_c}};
  if (g.backend == "hil") out["hil_endpoint"] = g.hil_endpoint;
  if (!g.decision.free() || g.decision.mode != "wait") {
    json d = {{"cost", g.decision.cost}, {"mode", g.decision.mode}};
    if (g.decision.cost == "fixed") d["cost_s"] = g.decision.cost_s;
    if (g.decision.cost == "measured")
      d["board_seconds_per_host_second"] = g.decision.board_seconds_per_host_second;
    out["decision"] = d;
  }
  if (g.serving.given) {
    const auto& v = g.serving;
    json sv = {{"queue_limit", v.queue_limit},
               {"timeout_s", v.timeout_s},
               {"memory_fraction", v.memory_fraction},
               {"instance_overhead_bytes", v.instance_overhead_bytes},
               {"interference", v.interference},
               {"interference_alpha", v.interference_alpha},
               {"utility",
                {{"throughput_scale_hz", v.utility.throughput_scale_hz},
                 {"latency_weight", v.utility.latency_weight},
                 {"slo_penalty", v.utility.slo_penalty},
                 {"slot_s", v.utility.slot_s}}}};
    if (!v.slowdown_file.empty()) sv["slowdown_file"] = v.slowdown_file;
    out["serving"] = sv;
  }
  if (g.channel_split.enabled) {
    const auto& c = g.channel_split;
    out["channel_split"] = {{"fixed_fraction", c.fixed_fraction},
                            {"exponent", c.exponent},
                            {"codec_bits", c.codec_bits},
                            {"entropy_ratio", c.entropy_ratio},
                            {"encode_s_per_melement", c.encode_s_per_melement},
                            {"fusion_s", c.fusion_s},
                            {"ranking", c.ranking}};
  }
  return out;
}

json video_json(const VideoStreamSpec& v) {
  json out = {{"name", v.name},
              {"group", v.group},
              {"model", v.model},
              {"fps", v.fps},
              {"start_s", v.start_s},
              {"duration_s", v.duration_s},
              {"slo_s", v.slo_s},
              {"queue_limit", v.queue_limit},
              {"complexity",
               {{"mean", v.complexity.mean},
                {"jitter", v.complexity.jitter},
                {"scene_change_rate_hz", v.complexity.scene_change_rate_hz},
                {"scene_spread", v.complexity.scene_spread}}}};
  if (!v.dataset.empty()) out["dataset"] = v.dataset;  // the model's default table when not given
  if (v.exit_records.kind == "file") out["exit_records"] = {{"file", v.exit_records.file}};
  if (v.exit_records.kind == "generator") {
    out["exit_records"] = {{"generator",
                            {{"complexity_sensitivity", v.exit_records.complexity_sensitivity},
                             {"confidence_separation", v.exit_records.confidence_separation},
                             {"confidence_noise", v.exit_records.confidence_noise}}}};
    if (v.exit_records.features > 0) {
      out["exit_records"]["generator"]["features"] = v.exit_records.features;
      out["exit_records"]["generator"]["feature_noise"] = v.exit_records.feature_noise;
    }
  }
  return out;
}

json request_json(const RequestStreamSpec& r) {
  json arrival = {{"kind", r.arrival.kind}, {"rate_hz", r.arrival.rate_hz}};
  if (r.arrival.kind == "mmpp") {
    arrival["burst_rate_hz"] = r.arrival.burst_rate_hz;
    arrival["mean_calm_s"] = r.arrival.mean_calm_s;
    arrival["mean_burst_s"] = r.arrival.mean_burst_s;
  }
  json mix = json::array();
  for (const auto& m : r.mix) mix.push_back({{"model", m.model}, {"weight", m.weight}, {"slo_s", m.slo_s}});
  return {{"name", r.name}, {"group", r.group},     {"arrival", arrival},
          {"mix", mix},     {"start_s", r.start_s}, {"duration_s", r.duration_s}};
}

}  // namespace

json to_json(const ScenarioSpec& spec) {
  json groups = json::array();
  for (const auto& g : spec.groups) groups.push_back(group_json(g));
  json clouds = json::array();
  for (const auto& c : spec.clouds)
    clouds.push_back({{"name", c.name}, {"board", c.board}, {"count", c.count}});
  json videos = json::array();
  for (const auto& v : spec.videos) videos.push_back(video_json(v));
  json requests = json::array();
  for (const auto& r : spec.requests) requests.push_back(request_json(r));
  return {{"name", spec.name},
          {"description", spec.description},
          {"duration_s", spec.duration_s},
          {"seed", spec.seed},
          {"platform", {{"groups", groups}, {"wan", wan_json(spec)}, {"clouds", clouds}}},
          {"workloads", {{"videos", videos}, {"requests", requests}}},
          {"outputs",
           {{"requests_csv", spec.outputs.requests_csv},
            {"timeline_csv", spec.outputs.timeline_csv},
            {"timeline_interval_s", spec.outputs.timeline_interval_s}}},
          {"runtime",
           {{"precision", spec.precision}, {"runtime", spec.runtime}, {"traces_dir", spec.traces_dir}}}};
}

}  // namespace edgetwin::sim::detail
