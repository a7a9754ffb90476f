#include "edgetwin/hw/executor.hpp"

#include <chrono>
#include <thread>

namespace edgetwin::hw {

FakeExecutor::FakeExecutor(const traces::Board& board, const traces::Synthesizer& synth,
                           FakeBoardDriver& driver)
    : board_(board), synth_(synth), driver_(driver) {}

void FakeExecutor::run(const traces::Model& model, int unit, int exit, int batch,
                       const std::string& precision) {
  const traces::ClockSetting clocks = driver_.loaded_clocks();
  const traces::UnitPrediction p =
      exit >= 0 ? synth_.predict_head(board_, model, exit, batch, 1, clocks, precision)
                : synth_.predict_unit(board_, model, unit, batch, 1, clocks, precision);
  traces::PowerComponents busy;
  busy.cpu_w = p.power_cpu_w;
  busy.gpu_w = p.power_gpu_w;
  busy.soc_w = p.power_soc_w;
  busy.ddr_w = p.power_ddr_w;
  const auto start = std::chrono::steady_clock::now();
  driver_.set_load(busy);
  std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                            std::chrono::duration<double>(p.latency_s)));
  driver_.set_load(std::nullopt);
}

}  // namespace edgetwin::hw
