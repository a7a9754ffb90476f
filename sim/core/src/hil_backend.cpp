// The hardware-in-the-loop backend (hil_backend.hpp).

#include "hil_backend.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include <simgrid/s4u/Actor.hpp>

#include "edgetwin/common/strings.hpp"

namespace edgetwin::sim::detail {

namespace sg4 = simgrid::s4u;

HilBackend::HilBackend(const std::string& endpoint, const std::string& keys_dir, const traces::Board& board,
                       TraceBackend& replay, double timeout_s)
    : endpoint_(endpoint), board_(board), replay_(replay) {
  hw::BoardClientOptions options;
  options.endpoint = endpoint;
  options.keys_dir = keys_dir;
  options.timeout_s = timeout_s;
  client_ = std::make_unique<hw::BoardClient>(options);
  const nlohmann::json hello = client_->call("hello", {{"client", "edgetwin run"}});
  const std::string served = hello.at("board").get<std::string>();
  if (served != board.id) {
    throw std::runtime_error("the board daemon at " + endpoint + " serves " + served +
                             ", the scenario's group is " + board.id);
  }
  fake_ = hello.value("fake", false);
  last_request_ = std::chrono::steady_clock::now();
  keep_alive_thread_ = std::thread([this] { keep_alive(); });
}

void HilBackend::keep_alive() {
  std::unique_lock<std::mutex> lock(client_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(500));
    if (stopping_ || !failure_.empty()) break;
    if (std::chrono::steady_clock::now() - last_request_ < std::chrono::seconds(2)) continue;
    try {
      client_->call("ping");
    } catch (const std::exception&) {
      // The next board request reports the lost link.
    }
    last_request_ = std::chrono::steady_clock::now();
  }
}

HilBackend::~HilBackend() {
  {
    std::lock_guard<std::mutex> lock(client_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (keep_alive_thread_.joinable()) keep_alive_thread_.join();
  if (client_ && failure_.empty()) {
    try {
      client_->call("bye");
    } catch (const std::exception&) {
      // The daemon restores the board on client loss as well.
    }
  }
}

void HilBackend::fail(const std::string& what) {
  // No exception may leave a SimGrid actor (the engine would abort), and none is thrown here:
  // record the failure, end every other actor (the board's device returns on its own, seeing
  // stopped()), and let run_simulation report it after the engine stops.
  {
    std::lock_guard<std::mutex> lock(client_mutex_);
    if (!failure_.empty()) return;
    failure_ = "board link to " + endpoint_ + " lost: " + what;
  }
  stop_cv_.notify_all();
  sg4::Actor::kill_all();
}

RunSums HilBackend::measure(const UnitsQuery& q, int first, int last, int exit) {
  RunSums stopped_run;  // the zero run answered after a failure
  stopped_run.rail_j.assign(board_.rails.size(), std::numeric_limits<double>::quiet_NaN());
  if (stopped()) return stopped_run;
  if (q.concurrency != 1) {
    fail("the hil backend runs one instance at a time (concurrency 1)");
    return stopped_run;
  }
  nlohmann::json result;
  std::unique_lock<std::mutex> lock(client_mutex_);
  try {
    if (!clocks_known_ || !(applied_.cpu_khz == q.clocks.cpu_khz && applied_.gpu_hz == q.clocks.gpu_hz &&
                            applied_.emc_hz == q.clocks.emc_hz)) {
      client_->call(
          "set_clocks",
          {{"cpu_khz", q.clocks.cpu_khz}, {"gpu_hz", q.clocks.gpu_hz}, {"emc_hz", q.clocks.emc_hz}});
      applied_ = q.clocks;
      clocks_known_ = true;
    }
    nlohmann::json request{
        {"model", q.model->id}, {"first", first}, {"last", last}, {"batch", q.batch}, {"mode", "frame"}};
    if (exit >= 0) request["exit"] = exit;
    result = client_->call("run_units", request);
    last_request_ = std::chrono::steady_clock::now();
  } catch (const std::exception& e) {
    lock.unlock();
    fail(e.what());
    return stopped_run;
  }
  lock.unlock();
  const int call = calls_++;
  RunSums sums;
  sums.rail_j.assign(board_.rails.size(), std::numeric_limits<double>::quiet_NaN());
  bool any_rail = false;
  for (const auto& row : result.at("units")) {
    const double latency = row.at("latency_mean_s").get<double>();
    const double energy = row.at("energy_j").get<double>();
    sums.latency_s += latency;
    sums.energy_j += energy;
    const auto& rails = row.at("rail_power_w");
    for (std::size_t r = 0; r < rails.size() && r < sums.rail_j.size(); ++r) {
      if (rails[r].is_null()) continue;
      if (std::isnan(sums.rail_j[r])) sums.rail_j[r] = 0;
      sums.rail_j[r] += rails[r].get<double>() * latency;
      any_rail = true;
    }
    HilComparison c;
    c.call = call;
    c.unit = row.at("unit").get<int>();
    c.exit = row.at("exit").get<int>();
    c.clocks = q.clocks;
    c.batch = q.batch;
    c.measured_latency_s = latency;
    c.measured_energy_j = energy;
    UnitsQuery one = q;
    one.first = c.unit;
    one.last = c.unit;
    const RunSums predicted = c.exit >= 0 ? replay_.run_head(one, c.unit) : replay_.run_units(one);
    c.predicted_latency_s = predicted.latency_s;
    c.predicted_energy_j = predicted.energy_j;
    comparisons_.push_back(c);
  }
  if (!any_rail) sums.rail_j.clear();
  return sums;
}

RunSums HilBackend::run_units(const UnitsQuery& q) {
  return measure(q, q.first, q.last + 1, -1);
}

RunSums HilBackend::run_head(const UnitsQuery& q, int after_unit) {
  int exit = -1;
  for (std::size_t e = 0; e < q.model->exits.size(); ++e) {
    if (q.model->exits[e].after_unit == after_unit) exit = static_cast<int>(e);
  }
  if (exit < 0) fail("model " + q.model->id + " has no exit after unit " + std::to_string(after_unit));
  return measure(q, after_unit, after_unit, exit);  // a zero run once failed
}

namespace {

struct ErrorStats {
  double abs_sum = 0;
  double signed_sum = 0;
  int n = 0;
  void add(double measured, double predicted) {
    if (!(measured > 0) || !std::isfinite(predicted)) return;
    const double rel = (predicted - measured) / measured;
    abs_sum += std::abs(rel);
    signed_sum += rel;
    ++n;
  }
  nlohmann::json json() const {
    return {{"count", n},
            {"mean_abs_rel_error", n ? abs_sum / n : 0.0},
            {"mean_rel_error", n ? signed_sum / n : 0.0}};
  }
};

}  // namespace

nlohmann::json write_hil_report(const HilBackend& backend, const std::string& out_dir) {
  namespace fs = std::filesystem;
  ErrorStats unit_latency, unit_energy, frame_latency, frame_energy;
  std::map<int, std::pair<HilComparison, HilComparison>> frames;  // call -> (measured sums, predicted sums)
  std::ofstream units;
  if (!out_dir.empty()) {
    units.open(fs::path(out_dir) / "hil_units.csv");
    units << "call,unit,exit,batch,cpu_khz,gpu_hz,emc_hz,measured_latency_s,predicted_latency_s,measured_"
             "energy_j,"
             "predicted_energy_j\n";
  }
  for (const HilComparison& c : backend.comparisons()) {
    unit_latency.add(c.measured_latency_s, c.predicted_latency_s);
    unit_energy.add(c.measured_energy_j, c.predicted_energy_j);
    auto& f = frames[c.call];
    f.first.call = c.call;
    f.first.clocks = c.clocks;
    f.first.batch = c.batch;
    f.first.measured_latency_s += c.measured_latency_s;
    f.first.measured_energy_j += c.measured_energy_j;
    f.first.predicted_latency_s += c.predicted_latency_s;
    f.first.predicted_energy_j += c.predicted_energy_j;
    if (units.is_open()) {
      units << c.call << ',' << c.unit << ',' << c.exit << ',' << c.batch << ',' << c.clocks.cpu_khz << ','
            << c.clocks.gpu_hz << ',' << c.clocks.emc_hz << ',' << common::format_double(c.measured_latency_s)
            << ',' << common::format_double(c.predicted_latency_s) << ','
            << common::format_double(c.measured_energy_j) << ','
            << common::format_double(c.predicted_energy_j) << '\n';
    }
  }
  std::ofstream frame_csv;
  if (!out_dir.empty()) {
    frame_csv.open(fs::path(out_dir) / "hil_frames.csv");
    frame_csv << "call,batch,cpu_khz,gpu_hz,emc_hz,measured_latency_s,predicted_latency_s,measured_energy_j,"
                 "predicted_energy_j\n";
  }
  for (const auto& [call, f] : frames) {
    const HilComparison& s = f.first;
    frame_latency.add(s.measured_latency_s, s.predicted_latency_s);
    frame_energy.add(s.measured_energy_j, s.predicted_energy_j);
    if (frame_csv.is_open()) {
      frame_csv << call << ',' << s.batch << ',' << s.clocks.cpu_khz << ',' << s.clocks.gpu_hz << ','
                << s.clocks.emc_hz << ',' << common::format_double(s.measured_latency_s) << ','
                << common::format_double(s.predicted_latency_s) << ','
                << common::format_double(s.measured_energy_j) << ','
                << common::format_double(s.predicted_energy_j) << '\n';
    }
  }
  return {{"endpoint", backend.endpoint()},
          {"fake_board", backend.fake_board()},
          {"per_unit", {{"latency", unit_latency.json()}, {"energy", unit_energy.json()}}},
          {"per_request", {{"latency", frame_latency.json()}, {"energy", frame_energy.json()}}},
          {"error_definition",
           "(predicted - measured) / measured; predicted = the trace replay at the same clocks"}};
}

}  // namespace edgetwin::sim::detail
