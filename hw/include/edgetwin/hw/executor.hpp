#pragma once
/// Runs a catalog model's units on the board. The board daemon measures around it (latency by
/// the wall clock, energy from the power sampler); the executor only runs. The real executor
/// (libtorch, random weights) is a separate process (hw/executor); the fake executor here sleeps
/// for the synthetic model's latency and sets the fake board's load meanwhile.

#include <memory>
#include <string>

#include "edgetwin/hw/fake_driver.hpp"
#include "edgetwin/traces/model.hpp"
#include "edgetwin/traces/synth.hpp"

namespace edgetwin::hw {

class UnitExecutor {
 public:
  virtual ~UnitExecutor() = default;
  /// e.g. "fake (synthetic model)", "libtorch cuda"; reported by the daemon's info.
  virtual std::string kind() const = 0;
  /// True when the model's weights are random (latency and power do not depend on them).
  virtual bool random_weights() const = 0;
  /// Runs unit `unit` of `model` once at `batch` (with `exit` >= 0: the head of exit `exit`
  /// instead); blocks until it has finished; returns its latency in seconds as the executor
  /// timed it. Throws std::runtime_error when it cannot run.
  virtual double run(const traces::Model& model, int unit, int exit, int batch,
                     const std::string& precision) = 0;
};

/// The libtorch executor in its own process (`edgetwin-executor serve --fd 3`), one JSON line
/// per request over a socket pair. The model is loaded (random weights) on its first unit.
class ProcessExecutor : public UnitExecutor {
 public:
  /// Starts `executor_path`; its output goes to `log_path`. Throws std::runtime_error.
  ProcessExecutor(const std::string& executor_path, const std::string& log_path, double timeout_s = 120);
  ~ProcessExecutor() override;
  std::string kind() const override { return "libtorch " + device_ + " (RANDOM weights)"; }
  bool random_weights() const override { return true; }
  double run(const traces::Model& model, int unit, int exit, int batch,
             const std::string& precision) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string device_ = "?";
  double timeout_s_;
};

/// The fake board's executor: latency and power of the synthetic model at the clocks the fake
/// kernel applies under load. FAKE: its latency is the model's, plus the sleep's overshoot.
class FakeExecutor : public UnitExecutor {
 public:
  /// All three must outlive the executor.
  FakeExecutor(const traces::Board& board, const traces::Synthesizer& synth, FakeBoardDriver& driver);
  std::string kind() const override { return "fake (synthetic model latency, FAKE)"; }
  bool random_weights() const override { return false; }
  double run(const traces::Model& model, int unit, int exit, int batch,
             const std::string& precision) override;

 private:
  const traces::Board& board_;
  const traces::Synthesizer& synth_;
  FakeBoardDriver& driver_;
};

}  // namespace edgetwin::hw
