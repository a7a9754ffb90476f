// "queue_aware_clocks": a clocks policy. On every frame it looks at the device's queue: with
// fewer than `busy_queue` requests waiting, the GPU runs at `idle_gpu_hz` (the CPU and memory at
// their power mode's maximum); with more, everything runs at the power mode's maximum.

#include "queue_aware_clocks.hpp"

#include <string>

#include "edgetwin/policies/clock_tables.hpp"

namespace my_policy {

namespace pol = edgetwin::policies;

namespace {

class QueueAwareClocks final : public pol::Policy {
 public:
  QueueAwareClocks(pol::Clocks idle, pol::Clocks busy, int busy_queue)
      : idle_(idle), busy_(busy), busy_queue_(busy_queue) {}

  // Boot clocks: the idle setting, applied before the first frame without a transition.
  std::optional<pol::Clocks> initial_clocks() const override { return idle_; }

  pol::FrameAction on_frame(const pol::FrameObservation& obs) override {
    const pol::Clocks& wanted = obs.queue_length >= busy_queue_ ? busy_ : idle_;
    pol::FrameAction action;
    // One segment from unit 0; an empty list keeps the current clocks (no transition).
    if (wanted != obs.clocks) action.clocks.push_back({0, wanted});
    return action;
  }

 private:
  pol::Clocks idle_;
  pol::Clocks busy_;
  int busy_queue_;
};

}  // namespace

pol::PolicyInfo queue_aware_clocks_info() {
  pol::PolicyInfo info;
  info.name = "queue_aware_clocks";
  info.roles = {pol::Role::clocks};
  info.summary = "GPU slow while the device keeps up, everything at maximum once requests queue";
  info.params = {
      {"busy_queue", "2",
       "requests waiting (this one excluded) from which the device runs at maximum, 1..1000"},
      {"idle_gpu_hz", "\"min\"",
       "GPU clock while fewer wait: \"min\", \"max\" or a GPU table value of the board"},
  };
  info.make = [](const nlohmann::json& params,
                 const pol::PolicyContext& ctx) -> std::unique_ptr<pol::Policy> {
    const std::string who = "policy 'queue_aware_clocks'";
    // Errors are policies::ParamError: the simulator reports them at the scenario's JSON pointer
    // (.../policies/clocks/params/KEY), with what was found and what is allowed.
    const nlohmann::json p = params.is_null() ? nlohmann::json::object() : params;
    if (!p.is_object()) throw pol::ParamError(who, "", "found " + p.dump() + ", allowed: a JSON object");
    for (const auto& [key, value] : p.items()) {
      if (key != "busy_queue" && key != "idle_gpu_hz") {
        throw pol::ParamError(who, key, "unknown parameter; allowed: busy_queue, idle_gpu_hz");
      }
    }
    const nlohmann::json busy_queue = p.value("busy_queue", nlohmann::json(2));
    if (!busy_queue.is_number_integer() || busy_queue.get<long>() < 1 || busy_queue.get<long>() > 1000) {
      throw pol::ParamError(who, "busy_queue",
                            "found " + busy_queue.dump() + ", allowed: an integer in [1, 1000]");
    }
    // The tables of the device's power mode: every clock the policy asks for must be one of them.
    const auto tables = pol::ClockTables::for_mode(*ctx.board, ctx.power_mode);
    const nlohmann::json idle_gpu = p.value("idle_gpu_hz", nlohmann::json("min"));
    pol::Clocks idle = tables.max();
    if (idle_gpu == "min") {
      idle.gpu_hz = tables.gpu_hz.front();
    } else if (idle_gpu == "max") {
      idle.gpu_hz = tables.gpu_hz.back();
    } else if (idle_gpu.is_number_integer() &&
               pol::table_index(tables.gpu_hz, idle_gpu.get<std::int64_t>()) >= 0) {
      idle.gpu_hz = idle_gpu.get<std::int64_t>();
    } else {
      std::string allowed = "\"min\", \"max\"";
      for (const auto hz : tables.gpu_hz) allowed += ", " + std::to_string(hz);
      throw pol::ParamError(who, "idle_gpu_hz", "found " + idle_gpu.dump() + ", allowed: " + allowed);
    }
    return std::make_unique<QueueAwareClocks>(idle, tables.max(), busy_queue.get<int>());
  };
  return info;
}

}  // namespace my_policy
