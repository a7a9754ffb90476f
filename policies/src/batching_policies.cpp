// Batching baseline: the same batch size, batching delay and instance count for every model,
// all run long (what a hand-tuned Triton-style dynamic batcher does; BCEdge's comparison point).

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

class FixedBatching final : public Policy {
 public:
  explicit FixedBatching(BatchAction action) : action_(action) {}
  BatchAction on_batch(const BatchObservation& /*obs*/) override { return action_; }

 private:
  BatchAction action_;
};

}  // namespace

PolicyInfo fixed_batching_info() {
  PolicyInfo info;
  info.name = "fixed_batching";
  info.roles = {Role::batching};
  info.summary =
      "serve each model with a fixed batch size, batching delay and number of concurrent instances";
  info.params = {
      {"batch_size", "1", "an instance starts a batch once this many requests of its model wait, 1..256"},
      {"max_wait_s", "0",
       "... or once the oldest waiting request has waited this long (s); 0 = start at once with what waits"},
      {"instances", "1", "concurrent instances of each model on the GPU, 1..16"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'fixed_batching'", p, params);
    BatchAction a;
    a.batch_size = reader.integer("batch_size", 1, 256);
    a.max_wait_s = reader.number("max_wait_s", 0.0, 3600.0);
    a.instances = reader.integer("instances", 1, 16);
    return std::make_unique<FixedBatching>(a);
  };
  return info;
}

}  // namespace edgetwin::policies
