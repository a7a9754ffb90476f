#pragma once
/// The fake board's "kernel": a thread that makes the fake tree of build_fake_board() react as a
/// board would. It applies min/max and EMC locks to the current-frequency files, writes the
/// INA3221 files from a power that follows the clocks and the load (the synthetic model of
/// traces/synth.hpp: idle power at the current clocks, or the power of the unit running now), and
/// moves the thermal zones along the catalog's RC model. FAKE: its numbers are the model's.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edgetwin/hw/fake_board.hpp"
#include "edgetwin/traces/synth.hpp"

namespace edgetwin::hw {

class FakeTree;

class FakeBoardDriver {
 public:
  /// `board` and `synth` must outlive the driver. Does not start the thread.
  FakeBoardDriver(const traces::Board& board, const traces::Synthesizer& synth, std::string root);
  ~FakeBoardDriver();
  FakeBoardDriver(const FakeBoardDriver&) = delete;
  FakeBoardDriver& operator=(const FakeBoardDriver&) = delete;

  /// Runs step() every `period_s` on a thread of its own until stop().
  void start(double period_s = 0.002);
  void stop();
  /// One update of `dt_s` seconds: frequencies, power files, temperatures.
  void step(double dt_s);
  /// The power the running work draws (the fake executor sets it for the duration of a unit);
  /// nullopt = idle at the current clocks.
  void set_load(std::optional<traces::PowerComponents> busy);
  /// The clocks the fake kernel applied at its last step.
  traces::ClockSetting clocks() const;
  /// The clocks it applies under load (each domain's max limit; the EMC's current rate), read
  /// from the tree now.
  traces::ClockSetting loaded_clocks() const;
  /// Module power written at the last step (W).
  double power_w() const;
  /// Blocks until the thread has completed `count` more steps (at most 5 s).
  void wait_steps(int count);
  /// The last error a step of the thread met ("" if none); the thread carries on.
  std::string last_error() const;

 private:
  std::vector<double> write_power(const FakeTree& tree, const traces::PowerComponents& components);

  const traces::Board& board_;
  const traces::Synthesizer& synth_;
  FakeFamily family_;
  std::string root_;
  std::mutex files_mutex_;  ///< serialises the thread's step and set_load's power writes
  mutable std::mutex mutex_;
  std::optional<traces::PowerComponents> busy_;
  traces::ClockSetting clocks_;
  double power_w_ = 0;
  std::vector<double> zone_temp_c_;
  double thermal_dt_s_ = 0;  ///< time since the temperature files were last written
  long steps_ = 0;
  std::condition_variable stepped_;
  std::string last_error_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace edgetwin::hw
