#include "edgetwin/sim/run_tallies.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "edgetwin/common/json_reader.hpp"

namespace edgetwin::sim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kMagic[8] = {'E', 'T', 'L', 'A', 'T', '0', '0', '1'};
constexpr int kFormat = 1;

// A device without a thermal model, an unknown rail: NaN, written as null.
using common::number_or_nan;
using common::number_or_null;

json serving_json(const ServingTally& t) {
  return json::array({t.requests, t.completed, t.dropped, t.timed_out, t.slo_met, t.latency_sum_s,
                      t.latency_ratio_sum, t.with_slo});
}

ServingTally serving_from(const json& j) {
  ServingTally t;
  if (!j.is_array() || j.size() != 8) throw std::invalid_argument("a serving tally is an array of 8 numbers");
  t.requests = j[0].get<long>();
  t.completed = j[1].get<long>();
  t.dropped = j[2].get<long>();
  t.timed_out = j[3].get<long>();
  t.slo_met = j[4].get<long>();
  t.latency_sum_s = j[5].get<double>();
  t.latency_ratio_sum = j[6].get<double>();
  t.with_slo = j[7].get<long>();
  return t;
}

json requests_json(const ScopeTally& t) {
  return json::array({t.served, t.latency_sum_s, t.attributed_j, t.cloud_j, t.slo_total, t.slo_missed,
                      t.offloaded, t.with_accuracy, t.accuracy_sum, t.with_label, t.correct});
}

ScopeTally requests_from(const json& j) {
  if (!j.is_array() || j.size() != 11) throw std::invalid_argument("request sums are an array of 11 numbers");
  ScopeTally t;
  t.served = j[0].get<long>();
  t.latency_sum_s = j[1].get<double>();
  t.attributed_j = j[2].get<double>();
  t.cloud_j = j[3].get<double>();
  t.slo_total = j[4].get<long>();
  t.slo_missed = j[5].get<long>();
  t.offloaded = j[6].get<long>();
  t.with_accuracy = j[7].get<long>();
  t.accuracy_sum = j[8].get<double>();
  t.with_label = j[9].get<long>();
  t.correct = j[10].get<long>();
  return t;
}

json devices_json(const DeviceSums& t) {
  json rails = json::array(), end_rails = json::array();
  for (double r : t.rail_j) rails.push_back(number_or_null(r));
  for (double r : t.end_rail_w) end_rails.push_back(number_or_null(r));
  return {{"devices", t.devices},
          {"device_j", t.device_j},
          {"idle_j", t.idle_j},
          {"busy_j", t.busy_j},
          {"transition_j", t.transition_j},
          {"radio_j", t.radio_j},
          {"clock_changes", t.clock_changes},
          {"dropped", t.dropped},
          {"max_cpu_temp_c", number_or_null(t.max_cpu_temp_c)},
          {"max_gpu_temp_c", number_or_null(t.max_gpu_temp_c)},
          {"rail_j", rails},
          {"end_s", t.end_s},
          {"end_idle_w", t.end_idle_w},
          {"end_rail_w", end_rails}};
}

DeviceSums devices_from(const json& j) {
  DeviceSums t;
  t.devices = j.at("devices").get<long>();
  t.device_j = j.at("device_j").get<double>();
  t.idle_j = j.at("idle_j").get<double>();
  t.busy_j = j.at("busy_j").get<double>();
  t.transition_j = j.at("transition_j").get<double>();
  t.radio_j = j.at("radio_j").get<double>();
  t.clock_changes = j.at("clock_changes").get<long>();
  t.dropped = j.at("dropped").get<long>();
  t.max_cpu_temp_c = number_or_nan(j.at("max_cpu_temp_c"));
  t.max_gpu_temp_c = number_or_nan(j.at("max_gpu_temp_c"));
  for (const auto& r : j.at("rail_j")) t.rail_j.push_back(number_or_nan(r));
  t.end_s = j.at("end_s").get<double>();
  t.end_idle_w = j.at("end_idle_w").get<double>();
  for (const auto& r : j.at("end_rail_w")) t.end_rail_w.push_back(number_or_nan(r));
  return t;
}

void write_doubles(std::ofstream& out, const std::vector<double>& values) {
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(double)));
}

void read_doubles(std::ifstream& in, std::size_t count, std::vector<double>& into, const std::string& file) {
  into.resize(count);
  in.read(reinterpret_cast<char*>(into.data()), static_cast<std::streamsize>(count * sizeof(double)));
  if (!in || static_cast<std::size_t>(in.gcount()) != count * sizeof(double))
    throw std::invalid_argument(file + ": shorter than shard.json says (a shard that did not finish?)");
}

void require_same(const std::string& what, const std::string& a, const std::string& b) {
  if (a != b) throw std::invalid_argument("not shards of one run: " + what + " '" + a + "' and '" + b + "'");
}

}  // namespace

void RunTallies::merge(const RunTallies& o) {
  require_same("scenario", scenario, o.scenario);
  require_same("resolved scenario id", scenario_hash, o.scenario_hash);
  require_same("shard count", std::to_string(shards), std::to_string(o.shards));
  if (groups.size() != o.groups.size())
    throw std::invalid_argument("not shards of one run: group counts differ");
  simulated_end_s = std::max(simulated_end_s, o.simulated_end_s);
  synthetic_traces = synthetic_traces || o.synthetic_traces;
  overall.merge(o.overall);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    auto& a = groups[g];
    const auto& b = o.groups[g];
    require_same("group", a.name, b.name);
    if (a.models.size() != b.models.size())
      throw std::invalid_argument("not shards of one run: group " + a.name + " has other models");
    a.requests.merge(b.requests);
    a.latencies.insert(a.latencies.end(), b.latencies.begin(), b.latencies.end());
    a.devices.merge(b.devices);
    for (std::size_t m = 0; m < a.models.size(); ++m) {
      auto& x = a.models[m];
      const auto& y = b.models[m];
      require_same("model of group " + a.name, x.model, y.model);
      x.tally.merge(y.tally);
      x.latencies.insert(x.latencies.end(), y.latencies.begin(), y.latencies.end());
      x.memory_capped_actions += y.memory_capped_actions;
      x.has_devices = x.has_devices || y.has_devices;
      if (x.slots.size() != y.slots.size())
        throw std::invalid_argument("not shards of one run: slots of " + a.name + "/" + x.model + " differ");
      for (std::size_t k = 0; k < x.slots.size(); ++k) x.slots[k].merge(y.slots[k]);
    }
  }
}

RecordTally RunTallies::record_tally() const {
  RecordTally tally(static_cast<int>(groups.size()));
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& g = groups[gi];
    const int group = static_cast<int>(gi);
    if (g.serving) {
      std::vector<std::string> names;
      for (const auto& m : g.models) names.push_back(m.model);
      tally.track_models(group, names, duration_s, g.slot_s);
      for (std::size_t m = 0; m < g.models.size(); ++m)
        tally.add_model(group, m, g.models[m].tally, g.models[m].latencies, g.models[m].slots);
    }
    tally.add_scope(group, g.requests, g.latencies);
  }
  return tally;
}

json RunTallies::summary() const {
  return run_summary(record_tally(), *this);
}

std::string RunTallies::slots_csv_text(const RecordTally& tally) const {
  if (!slots_csv) return "";
  std::ostringstream out;
  write_slots_header(out);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].serving) write_slots(out, tally, static_cast<int>(g), groups[g].name, groups[g].utility);
  }
  return out.str();
}

json run_summary(const RecordTally& tally, const RunTallies& info) {
  json group_summaries = json::object();
  double run_utility = 0;
  bool any_serving = false;
  for (std::size_t gi = 0; gi < info.groups.size(); ++gi) {
    const auto& g = info.groups[gi];
    const int group = static_cast<int>(gi);
    auto entry = summarize(tally, g.devices, info.duration_s, g.rails, group);
    if (g.serving) {
      // Per model summaries, memory caps and utility (docs/simulation.md).
      any_serving = true;
      auto models = summarize_models(tally, group, info.duration_s, g.utility);
      for (const auto& m : g.models) {
        if (m.has_devices) models["models"][m.model]["memory_capped_actions"] = m.memory_capped_actions;
      }
      entry["models"] = models["models"];
      entry["utility"] = models["utility"];
      run_utility += models["utility"].get<double>();
    }
    group_summaries[g.name] = entry;
  }
  json out = {{"scenario", info.scenario},
              {"seed", info.seed},
              {"duration_s", info.duration_s},
              {"simulated_end_s", info.simulated_end_s},
              {"synthetic_traces", info.synthetic_traces},
              {"overall", summarize(tally, info.overall, info.duration_s, {}, -1)},
              {"groups", group_summaries}};
  if (any_serving) out["utility"] = run_utility;
  return out;
}

void write_tallies(const RunTallies& t, const std::string& dir) {
  json groups = json::array();
  for (const auto& g : t.groups) {
    json models = json::array();
    for (const auto& m : g.models) {
      json slots = json::array();
      for (const auto& s : m.slots) slots.push_back(serving_json(s));
      models.push_back({{"model", m.model},
                        {"tally", serving_json(m.tally)},
                        {"latencies", m.latencies.size()},
                        {"memory_capped_actions", m.memory_capped_actions},
                        {"has_devices", m.has_devices},
                        {"slots", slots}});
    }
    groups.push_back(
        {{"name", g.name},
         {"rails", g.rails},
         {"serving", g.serving},
         {"utility", {g.utility.throughput_scale_hz, g.utility.latency_weight, g.utility.slo_penalty}},
         {"slot_s", g.slot_s},
         {"requests", requests_json(g.requests)},
         {"latencies", g.latencies.size()},
         {"devices", devices_json(g.devices)},
         {"models", models}});
  }
  const json overall = devices_json(t.overall);
  const json doc = {{"format", kFormat},
                    {"scenario", t.scenario},
                    {"seed", t.seed},
                    {"duration_s", t.duration_s},
                    {"simulated_end_s", t.simulated_end_s},
                    {"synthetic_traces", t.synthetic_traces},
                    {"slots_csv", t.slots_csv},
                    {"shard", t.shard},
                    {"shards", t.shards},
                    {"scenario_hash", t.scenario_hash},
                    {"overall", overall},
                    {"groups", groups}};
  // The latencies first: shard.json written last says the shard finished.
  const fs::path bin = fs::path(dir) / "shard_latencies.bin";
  {
    std::ofstream out(bin, std::ios::binary | std::ios::trunc);
    out.write(kMagic, sizeof(kMagic));
    for (const auto& g : t.groups) write_doubles(out, g.latencies);
    for (const auto& g : t.groups)
      for (const auto& m : g.models) write_doubles(out, m.latencies);
    out.close();
    if (!out) throw std::runtime_error(bin.string() + ": cannot write the file");
  }
  const fs::path file = fs::path(dir) / "shard.json";
  std::ofstream out(file);
  out << doc.dump(1) << "\n";
  out.close();
  if (!out) throw std::runtime_error(file.string() + ": cannot write the file");
}

RunTallies read_tallies(const std::string& dir, bool latencies) {
  const std::string file = (fs::path(dir) / "shard.json").string();
  const std::string bin = (fs::path(dir) / "shard_latencies.bin").string();
  std::ifstream in(file);
  if (!in)
    throw std::invalid_argument(file +
                                ": no such file (the shard did not finish, or this is not a shard's folder)");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw std::invalid_argument(file + ": not JSON: " + e.what());
  }
  RunTallies t;
  std::vector<std::size_t> group_counts, model_counts;
  try {
    if (doc.at("format").get<int>() != kFormat)
      throw std::invalid_argument("format " + doc.at("format").dump() + ", this edgetwin reads format " +
                                  std::to_string(kFormat));
    t.scenario = doc.at("scenario").get<std::string>();
    t.seed = doc.at("seed").get<long long>();
    t.duration_s = doc.at("duration_s").get<double>();
    t.simulated_end_s = doc.at("simulated_end_s").get<double>();
    t.synthetic_traces = doc.at("synthetic_traces").get<bool>();
    t.slots_csv = doc.at("slots_csv").get<bool>();
    t.shard = doc.at("shard").get<int>();
    t.shards = doc.at("shards").get<int>();
    t.scenario_hash = doc.at("scenario_hash").get<std::string>();
    t.overall = devices_from(doc.at("overall"));
    for (const auto& gj : doc.at("groups")) {
      GroupTally g;
      g.name = gj.at("name").get<std::string>();
      g.rails = gj.at("rails").get<std::vector<std::string>>();
      g.serving = gj.at("serving").get<bool>();
      const auto& u = gj.at("utility");
      g.utility = {u.at(0).get<double>(), u.at(1).get<double>(), u.at(2).get<double>()};
      g.slot_s = gj.at("slot_s").get<double>();
      g.requests = requests_from(gj.at("requests"));
      g.devices = devices_from(gj.at("devices"));
      group_counts.push_back(gj.at("latencies").get<std::size_t>());
      for (const auto& mj : gj.at("models")) {
        ModelTally m;
        m.model = mj.at("model").get<std::string>();
        m.tally = serving_from(mj.at("tally"));
        m.memory_capped_actions = mj.at("memory_capped_actions").get<long>();
        m.has_devices = mj.at("has_devices").get<bool>();
        for (const auto& s : mj.at("slots")) m.slots.push_back(serving_from(s));
        model_counts.push_back(mj.at("latencies").get<std::size_t>());
        g.models.push_back(std::move(m));
      }
      t.groups.push_back(std::move(g));
    }
  } catch (const json::exception& e) {
    throw std::invalid_argument(file + ": not a shard's tallies: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(file + ": " + e.what());
  }
  if (!latencies) return t;
  std::ifstream lat(bin, std::ios::binary);
  char magic[sizeof(kMagic)] = {};
  lat.read(magic, sizeof(magic));
  if (!lat || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0)
    throw std::invalid_argument(bin + ": missing or not a shard's latency file");
  std::size_t i = 0, j = 0;
  for (auto& g : t.groups) {
    read_doubles(lat, group_counts[i++], g.latencies, bin);
  }
  for (auto& g : t.groups)
    for (auto& m : g.models) read_doubles(lat, model_counts[j++], m.latencies, bin);
  if (lat.peek() != std::char_traits<char>::eof())
    throw std::invalid_argument(bin + ": longer than shard.json says (files of two different runs?)");
  return t;
}

}  // namespace edgetwin::sim
