#pragma once
// The board daemon edgetwin-boardd: serves one client at a time over the board link (CURVE),
// applies clocks through BoardControl, runs units through an executor while the power sampler
// measures, and restores the board's original state on bye, on client loss (no request within
// the client timeout), on SIGINT/SIGTERM and on normal exit. docs/hil.md.

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "edgetwin/hw/board_control.hpp"
#include "edgetwin/hw/board_link.hpp"
#include "edgetwin/hw/executor.hpp"
#include "edgetwin/hw/fake_driver.hpp"
#include "edgetwin/hw/power_sampler.hpp"
#include "edgetwin/hw/tegrastats_power.hpp"
#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/synth.hpp"

namespace edgetwin::hw {

struct DaemonOptions {
  std::string endpoint = kDefaultBoardEndpoint;
  std::string keys_dir;          ///< server.key and client.pub
  std::string root = "/";        ///< board root (a fake board's directory with --fake)
  std::string board = "auto";    ///< catalog id, or "auto" (identified from the device tree)
  std::string fake;              ///< catalog id: build a fake board under root and run it here
  std::string data_dir;          ///< catalog directory
  double client_timeout_s = 10;  ///< a session without a request for this long is lost
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  double sample_period_s = 0.005;  ///< power sampling period
  double min_window_s = 0.1;       ///< profile mode: repeat a unit until its window spans this
  std::string executor;  ///< path of edgetwin-executor ("" = the fake executor with --fake, else none)
  std::string executor_log = "edgetwin-executor.log";
  /// Where power comes from: "ina3221" (the rail files), "tegrastats" (the fallback), or "auto":
  /// the rail files, else tegrastats when `tegrastats` exists (docs/hil.md).
  std::string power = "auto";
  std::string tegrastats = "/usr/bin/tegrastats";  ///< the tegrastats command
  int tegrastats_interval_ms = 100;
  std::string tegrastats_log = "edgetwin-tegrastats.log";
};

class BoardDaemon {
 public:
  /// Sets the board up (fake tree, discovery, control, sensor, executor). Throws SysfsError,
  /// DataError or std::runtime_error naming what is wrong.
  explicit BoardDaemon(DaemonOptions options);
  ~BoardDaemon();
  /// Serves until `stop` becomes true; restores the board before returning. Returns the process
  /// exit code: 0, or 1 when the restore failed.
  int serve(const std::atomic<bool>& stop);

 private:
  nlohmann::json handle(const std::string& peer, const std::string& payload);
  nlohmann::json dispatch(const std::string& op, const nlohmann::json& request);
  nlohmann::json info();
  /// Moves board_ to the catalog release of the board's L4T version (traces::release_for_l4t)
  /// unless --board named a release; says what it chose, or why it could not, in the log.
  void select_release(const BoardIdentity& identity);
  nlohmann::json run_units(const nlohmann::json& request);
  bool restore_board(const std::string& why);

  DaemonOptions options_;
  traces::Catalog catalog_;
  std::unique_ptr<traces::Synthesizer> synth_;
  const traces::Board* board_ = nullptr;
  std::unique_ptr<FakeBoardDriver> fake_driver_;
  std::unique_ptr<Sysfs> sysfs_;
  std::unique_ptr<BoardControl> control_;
  std::unique_ptr<PowerSensor> sensor_;          ///< the INA3221 files, when power comes from them
  std::unique_ptr<TegrastatsPower> tegrastats_;  ///< else tegrastats
  std::unique_ptr<PowerSampler> sampler_;
  std::string power_source_;  ///< "ina3221" or "tegrastats"
  std::string l4t_version_;   ///< "R32.7.4" from /etc/nv_tegra_release, "" unknown or fake
  /// The latest whole-module power and rails, from whichever source.
  PowerSample read_power();
  std::unique_ptr<UnitExecutor> executor_;
  std::vector<std::string> mismatches_;
  std::string session_peer_;  ///< "" when no client holds the board
  double session_last_s_ = 0;
};

}  // namespace edgetwin::hw
