#include "board_daemon.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "edgetwin/common/json_reader.hpp"
#include "edgetwin/hw/board_layout.hpp"
#include "edgetwin/hw/fake_board.hpp"
#include "edgetwin/hw/thermal_zones.hpp"

#include <zmq.hpp>

namespace edgetwin::hw {

namespace {

constexpr const char* kRequestFile = "board link request";

double wall_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void log_line(const std::string& text) {
  std::cerr << "edgetwin-boardd: " << text << std::endl;
}

// The ZAP handler: admits a CURVE client only if its public key is the authorised one
// (client.pub). Runs on its own thread until `stop`.
void zap_handler(zmq::context_t& context, const std::string& client_key_z85, const std::atomic<bool>& stop,
                 std::atomic<bool>& ready) {
  zmq::socket_t zap(context, zmq::socket_type::rep);
  zap.set(zmq::sockopt::linger, 0);
  zap.bind("inproc://zeromq.zap.01");
  ready = true;
  std::array<std::uint8_t, 32> allowed{};
  zmq_z85_decode(allowed.data(), client_key_z85.c_str());
  while (!stop) {
    zmq::pollitem_t item{zap.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if ((item.revents & ZMQ_POLLIN) == 0) continue;
    std::vector<zmq::message_t> frames;
    for (;;) {
      zmq::message_t frame;
      if (!zap.recv(frame)) break;
      const bool more = frame.more();
      frames.push_back(std::move(frame));
      if (!more) break;
    }
    // version, request id, domain, address, identity, mechanism, credentials...
    bool ok = frames.size() >= 7 && frames[5].to_string() == "CURVE" && frames[6].size() == 32 &&
              std::equal(allowed.begin(), allowed.end(), static_cast<const std::uint8_t*>(frames[6].data()));
    const std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    if (!ok)
      log_line("refused a client: " + std::string(frames.size() > 5 ? frames[5].to_string() : "?") +
               " key not authorised (client.pub)");
    zap.send(zmq::buffer(std::string("1.0")), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string(ok ? "OK" : "client key not authorised")), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string(ok ? "edgetwin-client" : "")), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string()), zmq::send_flags::none);
  }
}

nlohmann::json ints(const std::vector<std::int64_t>& values) {
  return nlohmann::json(values);
}

}  // namespace

BoardDaemon::BoardDaemon(DaemonOptions options) : options_(std::move(options)) {
  catalog_ = traces::Catalog::load(options_.data_dir);
  synth_ = std::make_unique<traces::Synthesizer>(
      catalog_, traces::load_synth_calibration(traces::default_calibration_path(options_.data_dir)));
  if (!options_.fake.empty()) {
    board_ = &catalog_.board(options_.fake);
    build_fake_board(*board_, options_.root);
    fake_driver_ = std::make_unique<FakeBoardDriver>(*board_, *synth_, options_.root);
    fake_driver_->start(0.002);
    fake_driver_->wait_steps(1);
  }
  sysfs_ = std::make_unique<Sysfs>(options_.root);
  const BoardIdentity identity = identify_board(options_.root);
  if (board_ == nullptr) {
    const std::string id = options_.board == "auto" ? identity.board_id : options_.board;
    if (id.empty()) {
      throw std::runtime_error(options_.root +
                               "proc/device-tree/nvidia,dtsfilename: not a known Jetson (dts '" +
                               identity.dtsfilename + "'); name the board with --board ID");
    }
    board_ = &catalog_.board(id);
    select_release(identity);
  }
  BoardLayout layout = discover_layout(*sysfs_, board_);
  for (const TableMismatch& m : compare_with_catalog(layout, *board_)) {
    mismatches_.push_back(m.text);
    log_line("warning: " + m.text);
  }
  control_ = std::make_unique<BoardControl>(*sysfs_, std::move(layout));
  control_->save();
  std::string ina_error;
  if (options_.power != "tegrastats") {
    try {
      sensor_ = std::make_unique<PowerSensor>(*sysfs_, *board_);
    } catch (const SysfsError& e) {
      if (options_.power == "ina3221" || !std::filesystem::exists(options_.tegrastats)) {
        throw SysfsError(e.what(), options_.power == "ina3221"
                                       ? "the INA3221 rail files are needed (--power ina3221)"
                                       : "and no tegrastats at " + options_.tegrastats +
                                             " to fall back on (--tegrastats CMD)");
      }
      ina_error = e.what();
    }
  }
  if (sensor_) {
    power_source_ = "ina3221";
    sampler_ = std::make_unique<PowerSampler>(*sensor_, options_.sample_period_s);
  } else {
    power_source_ = "tegrastats";
    if (!ina_error.empty())
      log_line("warning: INA3221 not readable (" + ina_error + "): power from tegrastats");
    tegrastats_ = std::make_unique<TegrastatsPower>(options_.tegrastats, options_.tegrastats_interval_ms,
                                                    options_.tegrastats_log, *board_);
    // tegrastats refreshes every interval; sampling faster only repeats its last line.
    sampler_ = std::make_unique<PowerSampler>(
        [this] { return tegrastats_->read(); },
        std::max(options_.sample_period_s, 0.25e-3 * options_.tegrastats_interval_ms));
  }
  sampler_->start();
  if (!options_.executor.empty()) {
    executor_ = std::make_unique<ProcessExecutor>(options_.executor, options_.executor_log);
  } else if (fake_driver_) {
    executor_ = std::make_unique<FakeExecutor>(*board_, *synth_, *fake_driver_);
  }
}

BoardDaemon::~BoardDaemon() {
  if (sampler_) sampler_->stop();
  if (control_) control_->restore();
  if (fake_driver_) fake_driver_->stop();
}

bool BoardDaemon::restore_board(const std::string& why) {
  const auto failed = control_->restore();
  for (const std::string& f : failed) log_line("restore failed: " + f);
  log_line("board restored (" + why + ")");
  return failed.empty();
}

int BoardDaemon::serve(const std::atomic<bool>& stop) {
  const CurveKeys server = load_link_keys(options_.keys_dir + "/server.key", true);
  const CurveKeys client = load_link_keys(options_.keys_dir + "/client.pub", false);
  zmq::context_t context;
  std::atomic<bool> zap_stop{false};
  std::atomic<bool> zap_ready{false};
  std::thread zap([&] { zap_handler(context, client.public_z85, zap_stop, zap_ready); });
  while (!zap_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int code = 0;
  try {
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, server.secret_z85);
    router.set(zmq::sockopt::zap_domain, "edgetwin");
    router.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.max_message_bytes));
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::sndtimeo, 1000);
    router.bind(options_.endpoint);
    // The bound endpoint ("tcp://127.0.0.1:*" binds a free port: tests use it).
    std::cout << "edgetwin-boardd: serving " << board_->id << (fake_driver_ ? " (FAKE board)" : "") << " on "
              << router.get(zmq::sockopt::last_endpoint) << std::endl;
    while (!stop) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(50));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if (!session_peer_.empty() && wall_s() - session_last_s_ > options_.client_timeout_s) {
        log_line("client lost: no request for " + std::to_string(options_.client_timeout_s) + " s");
        restore_board("client lost");
        session_peer_.clear();
      }
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      std::vector<zmq::message_t> frames;
      for (;;) {
        zmq::message_t frame;
        if (!router.recv(frame, zmq::recv_flags::dontwait)) break;
        const bool more = frame.more();
        frames.push_back(std::move(frame));
        if (!more) break;
      }
      if (frames.size() < 2) continue;
      const std::string peer = frames[0].to_string();
      nlohmann::json response;
      if (frames.size() != 2) {
        response = {{"v", kLinkProtocolVersion}, {"ok", false}, {"error", "a request is one frame"}};
      } else {
        response = handle(peer, frames[1].to_string());
      }
      const std::string text = response.dump();
      router.send(zmq::buffer(peer), zmq::send_flags::sndmore);
      router.send(zmq::buffer(text), zmq::send_flags::none);
    }
  } catch (const std::exception& e) {
    log_line(std::string("error: ") + e.what());
    code = 1;
  }
  zap_stop = true;
  zap.join();
  if (!restore_board(stop ? "signal" : "exit")) code = 1;
  return code;
}

nlohmann::json BoardDaemon::handle(const std::string& peer, const std::string& payload) {
  nlohmann::json response{{"v", kLinkProtocolVersion}};
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(payload);
  } catch (const std::exception& e) {
    response["ok"] = false;
    response["error"] = std::string("request is not JSON: ") + e.what();
    return response;
  }
  if (request.is_object() && request.contains("id")) response["id"] = request["id"];
  try {
    if (!request.is_object())
      throw std::runtime_error("request must be a JSON object, found " + common::describe_json(request));
    common::JsonReader r(request, kRequestFile);
    const std::int64_t version = r.integer("v");
    if (version != kLinkProtocolVersion) {
      r.fail("v", "protocol version " + std::to_string(version) + "; this daemon speaks version " +
                      std::to_string(kLinkProtocolVersion));
    }
    r.integer_in("id", 0, std::int64_t{1} << 52);
    const std::string op =
        r.one_of("op", {"hello", "info", "set_clocks", "run_units", "restore", "ping", "bye"});
    if (session_peer_.empty()) {
      if (op != "hello") throw std::runtime_error("no session: send hello first");
      session_peer_ = peer;
      log_line("client connected");
    } else if (session_peer_ != peer) {
      throw std::runtime_error(
          "busy: another client holds the board (one client at a time; it is released on bye or after " +
          std::to_string(options_.client_timeout_s) + " s without a request)");
    }
    session_last_s_ = wall_s();
    nlohmann::json result = dispatch(op, request);
    for (auto& [key, value] : result.items()) response[key] = value;
    response["ok"] = true;
  } catch (const common::DataError& e) {
    response["ok"] = false;
    response["error"] = std::string(e.where()) + ": " + e.reason();
  } catch (const std::exception& e) {
    response["ok"] = false;
    response["error"] = e.what();
  }
  return response;
}

void BoardDaemon::select_release(const BoardIdentity& identity) {
  l4t_version_ = l4t_version(identity.l4t_release);
  if (l4t_version_.empty()) {
    log_line("warning: no L4T version in " + options_.root + "etc/nv_tegra_release ('" +
             identity.l4t_release + "'): the board's tables are compared with the catalog's " + board_->id);
    return;
  }
  const std::string match = traces::release_for_l4t(catalog_, board_->id, l4t_version_);
  if (options_.board.find('@') != std::string::npos) {
    if (match != board_->id) {
      log_line("warning: L4T " + l4t_version_ + " is " +
               (match.empty() ? std::string("none of the catalog's releases of this board")
                              : "catalog release " + match) +
               "; --board " + options_.board + " is kept");
    }
    return;
  }
  if (match.empty()) {
    std::string known;
    for (const auto& id : board_->release_ids) {
      known += (known.empty() ? "" : ", ") + id + " (";
      const auto& patterns = catalog_.board(id).release.l4t;
      for (std::size_t i = 0; i < patterns.size(); ++i) known += (i ? " " : "") + patterns[i];
      known += ")";
    }
    log_line("warning: L4T " + l4t_version_ + " is none of the catalog's releases of " + board_->base_id +
             ": " + known + "; the board's tables are compared with " + board_->id +
             " and its own tables win");
    return;
  }
  board_ = &catalog_.board(match);
  log_line("L4T " + l4t_version_ + ": catalog release " + board_->id + " (" + board_->release.name + ")");
}

nlohmann::json BoardDaemon::dispatch(const std::string& op, const nlohmann::json& request) {
  common::JsonReader r(request, kRequestFile);
  if (op == "hello") {
    r.require_only({"v", "id", "op", "client"});
    return {{"board", board_->id},
            {"fake", static_cast<bool>(fake_driver_)},
            {"executor", executor_ ? executor_->kind() : "none"},
            {"random_weights", executor_ && executor_->random_weights()},
            {"protocol", kLinkProtocolVersion}};
  }
  if (op == "info") {
    r.require_only({"v", "id", "op"});
    return info();
  }
  if (op == "ping") {
    r.require_only({"v", "id", "op"});
    return nlohmann::json::object();
  }
  if (op == "set_clocks") {
    r.require_only({"v", "id", "op", "cpu_khz", "gpu_hz", "emc_hz"});
    traces::ClockSetting clocks{r.integer_or("cpu_khz", 0), r.integer_or("gpu_hz", 0),
                                r.integer_or("emc_hz", 0)};
    const AppliedClocks applied = control_->set_clocks(clocks);
    return {
        {"applied", {{"cpu_khz", applied.cpu_khz}, {"gpu_hz", applied.gpu_hz}, {"emc_hz", applied.emc_hz}}}};
  }
  if (op == "run_units") return run_units(request);
  if (op == "restore" || op == "bye") {
    r.require_only({"v", "id", "op"});
    const auto failed = control_->restore();
    if (op == "bye") {
      session_peer_.clear();
      log_line("client said bye; board restored");
    }
    return {{"restored", failed.empty()}, {"failed", failed}};
  }
  throw std::logic_error("unhandled op " + op);
}

nlohmann::json BoardDaemon::info() {
  const BoardLayout& layout = control_->layout();
  nlohmann::json cpu = nlohmann::json::array();
  for (const CpuPolicy& p : layout.cpu_policies)
    cpu.push_back({{"dir", p.dir}, {"cpus", p.cpus}, {"freqs_khz", ints(p.freqs_khz)}});
  nlohmann::json temps = nlohmann::json::object();
  for (const ThermalReading& t : read_thermal_zones(*sysfs_)) {
    temps[t.type] = std::isnan(t.temp_c) ? nlohmann::json(nullptr) : nlohmann::json(t.temp_c);
  }
  nlohmann::json rails = nlohmann::json::array();
  for (const traces::Rail& rail : board_->rails) rails.push_back(rail.name);
  const traces::ClockSetting now = control_->current_clocks();
  const PowerSample power = read_power();
  return {{"board", board_->id},
          {"fake", static_cast<bool>(fake_driver_)},
          {"identity",
           {{"module", layout.identity.module},
            {"dtsfilename", layout.identity.dtsfilename},
            {"l4t_release", layout.identity.l4t_release},
            {"l4t_version", l4t_version_},
            {"chip_id", layout.identity.chip_id},
            {"soc", layout.identity.soc}}},
          {"cpu_policies", cpu},
          {"gpu",
           {{"dir", layout.gpu.dir},
            {"compatible", layout.gpu.compatible},
            {"freqs_hz", ints(layout.gpu.freqs_hz)}}},
          {"emc", {{"kind", to_string(layout.emc.kind)}, {"freqs_hz", ints(layout.emc.freqs_hz)}}},
          {"mismatches", mismatches_},
          {"rails", rails},
          {"power_total_w", power.total_w},
          {"power_source", power_source_},
          {"clocks", {{"cpu_khz", now.cpu_khz}, {"gpu_hz", now.gpu_hz}, {"emc_hz", now.emc_hz}}},
          {"temps_c", temps},
          {"executor", executor_ ? executor_->kind() : "none"}};
}

PowerSample BoardDaemon::read_power() {
  if (sensor_) {
    PowerSample p;
    p.rails_w = sensor_->read_rails_w();
    p.total_w = sensor_->total_w(p.rails_w);
    return p;
  }
  const auto samples = sampler_->samples();
  return samples.empty() ? tegrastats_->read() : samples.back();
}

nlohmann::json BoardDaemon::run_units(const nlohmann::json& request) {
  common::JsonReader r(request, kRequestFile);
  r.require_only(
      {"v", "id", "op", "model", "first", "last", "exit", "batch", "repeats", "warmup", "precision", "mode"});
  if (!executor_) {
    throw std::runtime_error(
        "no executor on this board: start the daemon with --executor (edgetwin-executor, libtorch) or "
        "--fake");
  }
  const std::string model_id = r.string("model");
  if (!catalog_.has_model(model_id)) r.fail("model", "unknown model '" + model_id + "'");
  const traces::Model& model = catalog_.model(model_id);
  const auto units = static_cast<std::int64_t>(model.units.size());
  const int first = static_cast<int>(r.integer_in("first", 0, units - 1));
  const int last = static_cast<int>(r.integer_in("last", first, units));
  auto optional_int = [&](const char* key, std::int64_t min, std::int64_t max, std::int64_t fallback) {
    return static_cast<int>(r.has(key) ? r.integer_in(key, min, max) : fallback);
  };
  const int exit = optional_int("exit", -1, static_cast<std::int64_t>(model.exits.size()) - 1, -1);
  const int batch = optional_int("batch", 1, 256, 1);
  const int repeats = optional_int("repeats", 1, 10000, 1);
  const int warmup = optional_int("warmup", 0, 1000, 0);
  const std::string precision = r.has("precision") ? r.one_of("precision", {"fp32", "fp16"}) : "fp32";
  // frame: the units once each, in order (what one request costs); profile: each unit repeated
  // until its window spans min_window_s (power sensors update every few ms).
  const std::string mode = r.has("mode") ? r.one_of("mode", {"frame", "profile"}) : "frame";
  std::vector<std::pair<int, int>> work;  // (unit, exit)
  for (int u = first; u < last; ++u) work.emplace_back(u, -1);
  if (exit >= 0) work.emplace_back(model.exits[static_cast<std::size_t>(exit)].after_unit, exit);

  nlohmann::json rows = nlohmann::json::array();
  const double frame_t0 = sampler_->now_s();
  std::vector<std::pair<double, double>> frame_windows;
  for (const auto& [unit, head] : work) {
    for (int w = 0; w < warmup; ++w) executor_->run(model, unit, head, batch, precision);
    // Latency: as the executor timed the unit; the window [t0, t1] (sampler clock) gives energy.
    std::vector<double> latencies;
    const double t0 = sampler_->now_s();
    double t1 = t0;
    while (static_cast<int>(latencies.size()) < repeats ||
           (mode == "profile" && t1 - t0 < options_.min_window_s && latencies.size() < 100000)) {
      latencies.push_back(executor_->run(model, unit, head, batch, precision));
      t1 = sampler_->now_s();
    }
    double mean = 0;
    for (double l : latencies) mean += l;
    mean /= static_cast<double>(latencies.size());
    double var = 0;
    for (double l : latencies) var += (l - mean) * (l - mean);
    const double std_s =
        latencies.size() > 1 ? std::sqrt(var / static_cast<double>(latencies.size() - 1)) : 0;
    rows.push_back({{"unit", unit},
                    {"exit", head},
                    {"latency_mean_s", mean},
                    {"latency_std_s", std_s},
                    {"repeats", latencies.size()},
                    {"t0_s", t0},
                    {"t1_s", t1}});
    frame_windows.emplace_back(t0, t1);
  }
  const double frame_t1 = sampler_->now_s();
  // Energy: each unit's window integrated from the samples (waits for the closing sample).
  const WindowEnergy whole = sampler_->window(frame_t0, frame_t1);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const WindowEnergy w = sampler_->window(frame_windows[k].first, frame_windows[k].second);
    // Energy of one execution: the window's mean power times the unit's own latency (the window
    // also spans the daemon's bookkeeping between executions).
    rows[k]["energy_j"] = w.mean_w * rows[k]["latency_mean_s"].get<double>();
    rows[k]["power_total_w"] = w.mean_w;
    nlohmann::json rail_w = nlohmann::json::array();
    for (double e : w.rail_energy_j) {
      rail_w.push_back(std::isnan(e) || w.duration_s <= 0 ? nlohmann::json(nullptr)
                                                          : nlohmann::json(e / w.duration_s));
    }
    rows[k]["rail_power_w"] = rail_w;
    rows[k]["samples"] = w.samples;
  }
  return {{"units", rows},
          {"energy_j", whole.energy_j},
          {"duration_s", whole.duration_s},
          {"clocks",
           {{"cpu_khz", control_->current_clocks().cpu_khz},
            {"gpu_hz", control_->current_clocks().gpu_hz},
            {"emc_hz", control_->current_clocks().emc_hz}}}};
}

}  // namespace edgetwin::hw
