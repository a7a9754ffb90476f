// Per-frame clock policies that pin every domain: max_clocks (like `jetson_clocks`) and
// fixed_clocks (user-chosen table values).

#include <stdexcept>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// Applies the same clocks at start and at every frame (from unit 0 on).
class PinnedClocks final : public Policy {
 public:
  explicit PinnedClocks(Clocks clocks) : clocks_(clocks) {}
  std::optional<Clocks> initial_clocks() const override { return clocks_; }
  FrameAction on_frame(const FrameObservation& /*obs*/) override {
    FrameAction a;
    a.clocks.push_back(ClockSegment{0, clocks_});
    return a;
  }

 private:
  Clocks clocks_;
};

}  // namespace

ClockTables context_tables(const PolicyContext& ctx, const std::string& who) {
  if (ctx.board == nullptr) throw std::invalid_argument(who + ": the device context has no board");
  return ClockTables::for_mode(*ctx.board, ctx.power_mode);
}

PolicyInfo max_clocks_info() {
  PolicyInfo info;
  info.name = "max_clocks";
  info.roles = {Role::clocks};
  info.summary =
      "every frame at the highest CPU, GPU and EMC clocks the power mode allows (like jetson_clocks)";
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'max_clocks'", p, params);
    return std::make_unique<PinnedClocks>(context_tables(ctx, reader.who()).max());
  };
  return info;
}

PolicyInfo fixed_clocks_info() {
  PolicyInfo info;
  info.name = "fixed_clocks";
  info.roles = {Role::clocks};
  info.summary = "every frame at user-chosen table clocks (like nvpmodel + userspace governors)";
  info.params = {
      {"cpu_khz", "\"max\"",
       "CPU clock, kHz: a value of the board's CPU table within the power mode, or \"min\"/\"max\""},
      {"gpu_hz", "\"max\"",
       "GPU clock, Hz: a value of the board's GPU table within the power mode, or \"min\"/\"max\""},
      {"emc_hz", "\"max\"",
       "memory (EMC) clock, Hz: a value of the board's EMC table within the power mode, or \"min\"/\"max\""},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'fixed_clocks'", p, params);
    const auto tables = context_tables(ctx, reader.who());
    return std::make_unique<PinnedClocks>(Clocks{reader.frequency("cpu_khz", tables.cpu_khz),
                                                 reader.frequency("gpu_hz", tables.gpu_hz),
                                                 reader.frequency("emc_hz", tables.emc_hz)});
  };
  return info;
}

}  // namespace edgetwin::policies
