#pragma once
// Internal to the simulation core: the hardware-in-the-loop backend. A device of a "hil" group
// runs its units on a real board (or the fake board) through the board daemon edgetwin-boardd;
// the simulation advances by the measured latency and energy. The trace replay's prediction for
// the same query is recorded beside each measurement: the sim-vs-real report (docs/hil.md).

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgetwin/hw/board_link.hpp"

#include "execution_backend.hpp"

namespace edgetwin::sim::detail {

/// One measured run next to what the trace replay predicts for it.
struct HilComparison {
  int call = 0;   ///< index of the board request (one per run of units or head)
  int unit = 0;   ///< unit index (for a head: its exit's unit)
  int exit = -1;  ///< exit index for a head row, else -1
  policies::Clocks clocks;
  int batch = 1;
  double measured_latency_s = 0;
  double measured_energy_j = 0;
  double predicted_latency_s = 0;
  double predicted_energy_j = 0;
};

class HilBackend final : public ExecutionBackend {
 public:
  /// Connects to the daemon at `endpoint` ("tcp://HOST:PORT") with the keys in `keys_dir` and
  /// checks that it serves `board`. Throws hw::LinkError or std::runtime_error.
  HilBackend(const std::string& endpoint, const std::string& keys_dir, const traces::Board& board,
             TraceBackend& replay, double timeout_s);
  ~HilBackend() override;
  const char* name() const override { return "hil"; }
  bool replays() const override { return false; }
  RunSums run_units(const UnitsQuery& query) override;
  RunSums run_head(const UnitsQuery& query, int after_unit) override;
  const std::vector<RunSums>* per_unit(const UnitsQuery& /*query*/) override { return nullptr; }

  const std::vector<HilComparison>& comparisons() const { return comparisons_; }
  /// The first link failure ("" while none): the run stops at it (simulation.cpp).
  const std::string& failure() const { return failure_; }
  bool stopped() const override { return !failure_.empty(); }
  const std::string& endpoint() const { return endpoint_; }
  bool fake_board() const { return fake_; }

 private:
  RunSums measure(const UnitsQuery& query, int first, int last, int exit);
  /// Records the first failure and ends every other actor; the caller returns a zero run.
  void fail(const std::string& what);
  /// Keeps the session while the simulation is busy elsewhere: a ping after 2 s without a
  /// request (the daemon frees a silent client after its --client-timeout, default 10 s).
  void keep_alive();

  std::string endpoint_;
  const traces::Board& board_;
  TraceBackend& replay_;
  std::unique_ptr<hw::BoardClient> client_;
  std::mutex client_mutex_;  ///< the client is used by the simulation and the keep-alive thread
  std::chrono::steady_clock::time_point last_request_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread keep_alive_thread_;
  policies::Clocks applied_{};
  bool clocks_known_ = false;
  bool fake_ = false;
  std::vector<HilComparison> comparisons_;
  int calls_ = 0;
  std::string failure_;
};

/// Writes `<out_dir>/hil_units.csv` (one row per measured unit or head, with the replay's
/// prediction), `<out_dir>/hil_frames.csv` (per board request) and returns the sim-vs-real
/// summary (mean absolute and signed relative errors of latency and energy, per unit and per
/// request) that summary.json carries under "hil".
nlohmann::json write_hil_report(const HilBackend& backend, const std::string& out_dir);

}  // namespace edgetwin::sim::detail
