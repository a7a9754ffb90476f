#include "edgetwin/sim/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>
#include <stdexcept>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/sim/record_tally.hpp"

namespace edgetwin::sim {

namespace {

// Shortest representation that reads back to the same double (deterministic across runs).
std::string num(double x) {
  if (std::isnan(x)) return "";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), x);
  return std::string(buf, res.ptr);
}

using common::number_or_null;

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

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const auto hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

nlohmann::json summarize(const std::vector<RequestRecord>& requests, const std::vector<DeviceTotals>& devices,
                         double duration_s, const std::vector<std::string>& rail_names, int group) {
  int groups = group + 1;
  for (const auto& r : requests) groups = std::max(groups, r.group + 1);
  RecordTally tally(groups);
  for (const auto& r : requests) tally.add(r);
  return summarize(tally, devices, duration_s, rail_names, group);
}

void DeviceSums::add(const DeviceTotals& d) {
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

void DeviceSums::extend_to(double to_s) {
  if (!(to_s > end_s)) return;
  const double gap = to_s - end_s;
  device_j += end_idle_w * gap;
  idle_j += end_idle_w * gap;
  for (std::size_t r = 0; r < rail_j.size(); ++r) rail_j[r] += end_rail_w[r] * gap;
  end_s = to_s;
}

void DeviceSums::merge(const DeviceSums& other) {
  if (rail_j.size() != other.rail_j.size() || end_rail_w.size() != other.end_rail_w.size())
    throw std::invalid_argument("merging device sums of different rails");
  DeviceSums o = other;
  const double end = std::max(end_s, o.end_s);
  extend_to(end);
  o.extend_to(end);
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
  for (std::size_t r = 0; r < rail_j.size(); ++r) rail_j[r] += o.rail_j[r];
  end_idle_w += o.end_idle_w;
  for (std::size_t r = 0; r < end_rail_w.size(); ++r) end_rail_w[r] += o.end_rail_w[r];
}

nlohmann::json summarize(const RecordTally& tally, const std::vector<DeviceTotals>& devices,
                         double duration_s, const std::vector<std::string>& rail_names, int group) {
  DeviceSums sums(rail_names.size());
  for (const auto& d : devices) {
    if (group < 0 || d.group == group) sums.add(d);
  }
  return summarize(tally, sums, duration_s, rail_names, group);
}

nlohmann::json summarize(const RecordTally& tally, const DeviceSums& d, double duration_s,
                         const std::vector<std::string>& rail_names, int group) {
  const ScopeTally& s = tally.scope(group);
  const auto latency_p = tally.latency_percentiles(group, {50, 95, 99});
  const std::size_t completed = static_cast<std::size_t>(s.served);
  const auto n = static_cast<double>(completed);
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  const double mean = s.latency_sum_s;
  nlohmann::json out = nlohmann::json{
      {"devices", d.devices},
      {"requests_completed", completed},
      {"requests_offloaded", s.offloaded},
      {"requests_dropped", d.dropped},
      {"throughput_rps", duration_s > 0 ? n / duration_s : nan},
      {"latency_mean_s", number_or_null(n > 0 ? mean / n : nan)},
      {"latency_p50_s", number_or_null(latency_p[0])},
      {"latency_p95_s", number_or_null(latency_p[1])},
      {"latency_p99_s", number_or_null(latency_p[2])},
      {"slo_requests", s.slo_total},
      {"slo_violation_rate",
       number_or_null(s.slo_total > 0 ? static_cast<double>(s.slo_missed) / static_cast<double>(s.slo_total)
                                      : nan)},
      {"energy_per_request_j", number_or_null(n > 0 ? s.attributed_j / n : nan)},
      {"device_energy_per_request_j", number_or_null(n > 0 ? d.device_j / n : nan)},
      {"cloud_energy_per_request_j", number_or_null(n > 0 ? s.cloud_j / n : nan)},
      {"device_energy_j", d.device_j},
      {"device_idle_energy_j", d.idle_j},
      {"device_busy_energy_j", d.busy_j},
      {"device_transition_energy_j", d.transition_j},
      {"device_radio_energy_j", d.radio_j},
      {"cloud_energy_j", s.cloud_j},
      {"clock_changes", d.clock_changes},
      // Mean expected accuracy over the requests whose model has an accuracy table.
      {"accuracy_mean",
       number_or_null(s.with_accuracy > 0 ? s.accuracy_sum / static_cast<double>(s.with_accuracy) : nan)},
      {"correct_mean",
       number_or_null(s.with_label > 0 ? static_cast<double>(s.correct) / static_cast<double>(s.with_label)
                                       : nan)},
      // Exact maxima of the thermal zones over the run (docs/thermal.md), not of timeline samples.
      {"max_cpu_temp_c", number_or_null(d.max_cpu_temp_c)},
      {"max_gpu_temp_c", number_or_null(d.max_gpu_temp_c)},
  };
  if (!rail_names.empty()) {
    nlohmann::json rails = nlohmann::json::object();
    for (std::size_t r = 0; r < rail_names.size(); ++r) rails[rail_names[r]] = number_or_null(d.rail_j.at(r));
    out["rail_energy_j"] = rails;
  }
  return out;
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

namespace {

nlohmann::json tally_json(const ServingTally& t, std::vector<double> latencies, double window_s,
                          const UtilityParams& params) {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  return {
      {"requests", t.requests},
      {"completed", t.completed},
      {"dropped", t.dropped},
      {"timed_out", t.timed_out},
      {"throughput_rps", window_s > 0 ? static_cast<double>(t.completed) / window_s : nan},
      {"latency_mean_s",
       number_or_null(t.completed > 0 ? t.latency_sum_s / static_cast<double>(t.completed) : nan)},
      {"latency_p95_s", number_or_null(percentile(std::move(latencies), 95))},
      {"slo_satisfaction",
       number_or_null(t.requests > 0 ? static_cast<double>(t.slo_met) / static_cast<double>(t.requests)
                                     : nan)},
      {"utility", utility(t, window_s, params)},
  };
}

}  // namespace

nlohmann::json summarize_models(const std::vector<RequestRecord>& requests, int group,
                                const std::vector<std::string>& models, double duration_s,
                                const UtilityParams& params) {
  RecordTally tally(group + 1);
  tally.track_models(group, models, duration_s, std::max(duration_s, 1.0));
  for (const auto& r : requests) tally.add(r);
  return summarize_models(tally, group, duration_s, params);
}

nlohmann::json summarize_models(const RecordTally& tally, int group, double duration_s,
                                const UtilityParams& params) {
  nlohmann::json out = nlohmann::json::object();
  double total = 0;
  for (const auto& m : tally.models(group)) {
    out[m.name] = tally_json(m.total, m.latencies_s, duration_s, params);
    total += out[m.name]["utility"].get<double>();
  }
  return {{"models", out}, {"utility", total}};
}

void write_slots_header(std::ostream& out) {
  out << "slot_start_s,group,model,requests,completed,dropped,timed_out,throughput_rps,latency_mean_s,"
         "slo_satisfaction,utility\n";
}

void write_slots(std::ostream& out, const std::vector<RequestRecord>& requests, int group,
                 const std::string& group_name, const std::vector<std::string>& models, double duration_s,
                 double slot_s, const UtilityParams& params) {
  RecordTally tally(group + 1);
  tally.track_models(group, models, duration_s, slot_s);
  for (const auto& r : requests) tally.add(r);
  write_slots(out, tally, group, group_name, params);
}

void write_slots(std::ostream& out, const RecordTally& tally, int group, const std::string& group_name,
                 const UtilityParams& params) {
  const double slot_s = tally.slot_s(group);
  for (const auto& m : tally.models(group)) {
    for (std::size_t k = 0; k < m.slots.size(); ++k) {
      const auto& t = m.slots[k];
      const double x = static_cast<double>(t.completed) / slot_s;
      out << num(static_cast<double>(k) * slot_s) << ',' << group_name << ',' << m.name << ',' << t.requests
          << ',' << t.completed << ',' << t.dropped << ',' << t.timed_out << ',' << num(x) << ','
          << (t.completed > 0 ? num(t.latency_sum_s / static_cast<double>(t.completed)) : "") << ','
          << (t.requests > 0 ? num(static_cast<double>(t.slo_met) / static_cast<double>(t.requests)) : "")
          << ',' << num(utility(t, slot_s, params)) << '\n';
    }
  }
}

}  // namespace edgetwin::sim
