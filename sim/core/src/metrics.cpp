#include "edgetwin/sim/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>

namespace edgetwin::sim {

namespace {

// Shortest representation that reads back to the same double (deterministic across runs).
std::string num(double x) {
  if (std::isnan(x)) return "";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, res.ptr);
}

}  // namespace

const char* to_string(RequestStatus status) {
  switch (status) {
    case RequestStatus::ok:
      return "ok";
    case RequestStatus::dropped:
      return "dropped";
    case RequestStatus::timed_out:
      return "timed_out";
  }
  return "?";
}

void write_requests_header(std::ostream& out) {
  out << "id,device,group,stream,model,arrival_s,start_s,end_s,latency_s,energy_j,cloud_energy_j,"
         "exit_after_unit,edge_units,units,offload_share,offload_bytes,cpu_khz,gpu_hz,emc_hz,slo_s,slo_met,"
         "batch,concurrency,accuracy,correct,radio_energy_j,decision_s,status\n";
}

void write_request(std::ostream& out, const RequestRecord& r) {
  out << r.id << ',' << r.device << ',' << r.group << ',' << r.stream << ',' << r.model << ','
      << num(r.arrival_s) << ',' << num(r.start_s) << ',' << num(r.end_s) << ',' << num(r.latency_s()) << ','
      << num(r.energy_j) << ',' << num(r.cloud_energy_j) << ',' << r.exit_after_unit << ',' << r.edge_units
      << ',' << r.units << ',' << num(r.offload_share) << ',' << num(r.offload_bytes) << ',' << r.cpu_khz
      << ',' << r.gpu_hz << ',' << r.emc_hz << ',' << num(r.slo_s) << ',' << (r.slo_met() ? 1 : 0) << ','
      << r.batch << ',' << r.concurrency << ',' << num(r.accuracy) << ',';
  if (r.correct >= 0) out << r.correct;  // empty: the workload does not know the label
  out << ',' << num(r.radio_energy_j) << ',' << num(r.decision_s) << ',' << to_string(r.status) << '\n';
}

void write_timeline_header(std::ostream& out) {
  out << "time_s,device,cpu_khz,gpu_hz,emc_hz,power_w,energy_j,queue_length,uplink_bandwidth_bps,cpu_temp_c,"
         "gpu_temp_c\n";
}

void write_timeline(std::ostream& out, const TimelineRecord& t) {
  out << num(t.time_s) << ',' << t.device << ',' << t.cpu_khz << ',' << t.gpu_hz << ',' << t.emc_hz << ','
      << num(t.power_w) << ',' << num(t.energy_j) << ',' << t.queue_length << ','
      << num(t.uplink_bandwidth_bps) << ',' << num(t.cpu_temp_c) << ',' << num(t.gpu_temp_c) << '\n';
}

namespace {

// Percentile of already sorted values (see percentile).
double sorted_percentile(const std::vector<double>& values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

nlohmann::json or_null(double x) {
  return std::isnan(x) ? nlohmann::json() : nlohmann::json(x);
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return sorted_percentile(values, p);
}

void ScopeTally::add(const RequestRecord& r) {
  latencies.push_back(r.latency_s());
  attributed_j += r.energy_j;
  cloud_j += r.cloud_energy_j;
  if (r.slo_s > 0) {
    ++slo_total;
    if (!r.slo_met()) ++slo_missed;
  }
  if (r.edge_units < r.units) ++offloaded;
  if (!std::isnan(r.accuracy)) {
    ++with_accuracy;
    accuracy_sum += r.accuracy;
  }
  if (r.correct >= 0) {
    ++with_label;
    correct += r.correct;
  }
}

void ScopeTally::add(const DeviceTotals& d) {
  ++devices;
  device_j += d.energy_j;
  idle_j += d.idle_j;
  busy_j += d.busy_j;
  transition_j += d.transition_j;
  radio_j += d.radio_j;
  clock_changes += d.clock_changes;
  dropped += d.dropped;
  // std::fmax ignores a NaN operand: devices without a thermal model do not count.
  max_cpu_temp_c = std::fmax(max_cpu_temp_c, d.max_cpu_temp_c);
  max_gpu_temp_c = std::fmax(max_gpu_temp_c, d.max_gpu_temp_c);
  for (std::size_t r = 0; r < rail_j.size(); ++r)
    rail_j[r] += r < d.rail_j.size() ? d.rail_j[r] : std::numeric_limits<double>::quiet_NaN();
  end_idle_w += d.end_idle_w;
  for (std::size_t r = 0; r < end_rail_w.size(); ++r)
    end_rail_w[r] += r < d.end_rail_w.size() ? d.end_rail_w[r] : 0;
}

void ScopeTally::extend_to(double to_s) {
  if (!(to_s > end_s)) return;
  const double gap = to_s - end_s;
  device_j += end_idle_w * gap;
  idle_j += end_idle_w * gap;
  for (std::size_t r = 0; r < rail_j.size(); ++r) rail_j[r] += end_rail_w[r] * gap;
  end_s = to_s;
}

void ScopeTally::merge(const ScopeTally& other) {
  ScopeTally o = other;
  const double end = std::max(end_s, o.end_s);
  extend_to(end);
  o.extend_to(end);
  latencies.insert(latencies.end(), o.latencies.begin(), o.latencies.end());
  attributed_j += o.attributed_j;
  cloud_j += o.cloud_j;
  accuracy_sum += o.accuracy_sum;
  slo_total += o.slo_total;
  slo_missed += o.slo_missed;
  offloaded += o.offloaded;
  with_accuracy += o.with_accuracy;
  with_label += o.with_label;
  correct += o.correct;
  devices += o.devices;
  device_j += o.device_j;
  idle_j += o.idle_j;
  busy_j += o.busy_j;
  transition_j += o.transition_j;
  radio_j += o.radio_j;
  clock_changes += o.clock_changes;
  dropped += o.dropped;
  max_cpu_temp_c = std::fmax(max_cpu_temp_c, o.max_cpu_temp_c);
  max_gpu_temp_c = std::fmax(max_gpu_temp_c, o.max_gpu_temp_c);
  if (rail_j.size() != o.rail_j.size() || end_rail_w.size() != o.end_rail_w.size())
    throw std::invalid_argument("merging tallies of different rails");
  for (std::size_t r = 0; r < rail_j.size(); ++r) rail_j[r] += o.rail_j[r];
  end_idle_w += o.end_idle_w;
  for (std::size_t r = 0; r < end_rail_w.size(); ++r) end_rail_w[r] += o.end_rail_w[r];
}

nlohmann::json ScopeTally::json(double duration_s, const std::vector<std::string>& rail_names) const {
  const auto n = static_cast<double>(latencies.size());
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  double mean = 0;
  for (double l : latencies) mean += l;
  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json out = nlohmann::json{
      {"devices", devices},
      {"requests_completed", latencies.size()},
      {"requests_offloaded", offloaded},
      {"requests_dropped", dropped},
      {"throughput_rps", duration_s > 0 ? n / duration_s : nan},
      {"latency_mean_s", or_null(n > 0 ? mean / n : nan)},
      {"latency_p50_s", or_null(sorted_percentile(sorted, 50))},
      {"latency_p95_s", or_null(sorted_percentile(sorted, 95))},
      {"latency_p99_s", or_null(sorted_percentile(sorted, 99))},
      {"slo_requests", slo_total},
      {"slo_violation_rate",
       or_null(slo_total > 0 ? static_cast<double>(slo_missed) / static_cast<double>(slo_total) : nan)},
      {"energy_per_request_j", or_null(n > 0 ? attributed_j / n : nan)},
      {"device_energy_per_request_j", or_null(n > 0 ? device_j / n : nan)},
      {"cloud_energy_per_request_j", or_null(n > 0 ? cloud_j / n : nan)},
      {"device_energy_j", device_j},
      {"device_idle_energy_j", idle_j},
      {"device_busy_energy_j", busy_j},
      {"device_transition_energy_j", transition_j},
      {"device_radio_energy_j", radio_j},
      {"cloud_energy_j", cloud_j},
      {"clock_changes", clock_changes},
      // Mean expected accuracy over the requests whose model has an accuracy table.
      {"accuracy_mean", or_null(with_accuracy > 0 ? accuracy_sum / static_cast<double>(with_accuracy) : nan)},
      {"correct_mean",
       or_null(with_label > 0 ? static_cast<double>(correct) / static_cast<double>(with_label) : nan)},
      // Exact maxima of the thermal zones over the run (docs/thermal.md), not of timeline samples.
      {"max_cpu_temp_c", or_null(max_cpu_temp_c)},
      {"max_gpu_temp_c", or_null(max_gpu_temp_c)},
  };
  if (!rail_names.empty()) {
    nlohmann::json rails = nlohmann::json::object();
    for (std::size_t r = 0; r < rail_names.size(); ++r) rails[rail_names[r]] = or_null(rail_j.at(r));
    out["rail_energy_j"] = rails;
  }
  return out;
}

nlohmann::json summarize(const std::vector<RequestRecord>& requests, const std::vector<DeviceTotals>& devices,
                         double duration_s, const std::vector<std::string>& rail_names, int group) {
  ScopeTally tally(rail_names.size());
  tally.latencies.reserve(requests.size());
  for (const auto& r : requests) {
    if ((group < 0 || r.group == group) && r.served()) tally.add(r);
  }
  for (const auto& d : devices) {
    if (group < 0 || d.group == group) tally.add(d);
  }
  return tally.json(duration_s, rail_names);
}

void ServingTally::add(const RequestRecord& r) {
  ++requests;
  if (r.status == RequestStatus::dropped) ++dropped;
  if (r.status == RequestStatus::timed_out) ++timed_out;
  if (!r.served()) return;
  ++completed;
  latency_sum_s += r.latency_s();
  if (r.slo_met()) ++slo_met;
  if (r.slo_s > 0) {
    ++with_slo;
    latency_ratio_sum += r.latency_s() / r.slo_s;
  }
}

void ServingTally::merge(const ServingTally& o) {
  requests += o.requests;
  completed += o.completed;
  dropped += o.dropped;
  timed_out += o.timed_out;
  slo_met += o.slo_met;
  latency_sum_s += o.latency_sum_s;
  latency_ratio_sum += o.latency_ratio_sum;
  with_slo += o.with_slo;
}

double utility(const ServingTally& t, double window_s, const UtilityParams& params) {
  const double x = window_s > 0 ? static_cast<double>(t.completed) / window_s : 0;
  const double ratio = t.with_slo > 0 ? t.latency_ratio_sum / static_cast<double>(t.with_slo) : 0;
  const double missed =
      t.requests > 0 ? 1.0 - static_cast<double>(t.slo_met) / static_cast<double>(t.requests) : 0;
  return x / params.throughput_scale_hz - params.latency_weight * ratio - params.slo_penalty * missed;
}

nlohmann::json model_summary(const ServingTally& t, std::vector<double> latencies, double window_s,
                             const UtilityParams& params) {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  return {
      {"requests", t.requests},
      {"completed", t.completed},
      {"dropped", t.dropped},
      {"timed_out", t.timed_out},
      {"throughput_rps", window_s > 0 ? static_cast<double>(t.completed) / window_s : nan},
      {"latency_mean_s", or_null(t.completed > 0 ? t.latency_sum_s / static_cast<double>(t.completed) : nan)},
      {"latency_p95_s", or_null(percentile(std::move(latencies), 95))},
      {"slo_satisfaction",
       or_null(t.requests > 0 ? static_cast<double>(t.slo_met) / static_cast<double>(t.requests) : nan)},
      {"utility", utility(t, window_s, params)},
  };
}

nlohmann::json summarize_models(const std::vector<RequestRecord>& requests, int group,
                                const std::vector<std::string>& models, double duration_s,
                                const UtilityParams& params) {
  nlohmann::json out = nlohmann::json::object();
  double total = 0;
  for (const auto& model : models) {
    ServingTally t;
    std::vector<double> latencies;
    for (const auto& r : requests) {
      if (r.group != group || r.model != model) continue;
      t.add(r);
      if (r.served()) latencies.push_back(r.latency_s());
    }
    out[model] = model_summary(t, std::move(latencies), duration_s, params);
    total += out[model]["utility"].get<double>();
  }
  return {{"models", out}, {"utility", total}};
}

void write_slots_header(std::ostream& out) {
  out << "slot_start_s,group,model,requests,completed,dropped,timed_out,throughput_rps,latency_mean_s,"
         "slo_satisfaction,utility\n";
}

std::size_t slot_count(double duration_s, double slot_s) {
  return static_cast<std::size_t>(std::max(1.0, std::ceil(std::max(duration_s, 0.0) / slot_s)));
}

std::size_t slot_of(double end_s, double slot_s, std::size_t slots) {
  return std::min(slots - 1, static_cast<std::size_t>(std::max(0.0, std::floor(end_s / slot_s))));
}

void write_slot_rows(std::ostream& out, const std::string& group_name, const std::string& model,
                     const std::vector<ServingTally>& tallies, double slot_s, const UtilityParams& params) {
  for (std::size_t k = 0; k < tallies.size(); ++k) {
    const auto& t = tallies[k];
    const double x = static_cast<double>(t.completed) / slot_s;
    out << num(static_cast<double>(k) * slot_s) << ',' << group_name << ',' << model << ',' << t.requests
        << ',' << t.completed << ',' << t.dropped << ',' << t.timed_out << ',' << num(x) << ','
        << (t.completed > 0 ? num(t.latency_sum_s / static_cast<double>(t.completed)) : "") << ','
        << (t.requests > 0 ? num(static_cast<double>(t.slo_met) / static_cast<double>(t.requests)) : "")
        << ',' << num(utility(t, slot_s, params)) << '\n';
  }
}

void write_slots(std::ostream& out, const std::vector<RequestRecord>& requests, int group,
                 const std::string& group_name, const std::vector<std::string>& models, double duration_s,
                 double slot_s, const UtilityParams& params) {
  const auto slots = slot_count(duration_s, slot_s);
  for (const auto& model : models) {
    std::vector<ServingTally> tallies(slots);
    for (const auto& r : requests) {
      if (r.group == group && r.model == model) tallies[slot_of(r.end_s, slot_s, slots)].add(r);
    }
    write_slot_rows(out, group_name, model, tallies, slot_s, params);
  }
}

}  // namespace edgetwin::sim
