// Batching baseline: the same batch size, batching delay and instance count for every model,
// all run long (what a hand-tuned Triton-style dynamic batcher does; BCEdge's comparison point).

#include <algorithm>
#include <cmath>
#include <map>

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

// Clipper's adaptive batching (Crankshaw et al., NSDI 2017, §4.3): additive increase of the batch
// size while the latency objective holds, multiplicative decrease when it is missed. Per model,
// at every slot: the slot's mean latency over the SLO below `target` -> batch + `step`; above 1
// (or a violation rate above `max_violation_rate`) -> batch x `backoff`. Instances fixed.
namespace edgetwin::policies {

namespace {

class ClipperAimd final : public Policy {
 public:
  struct Settings {
    double slot_s = 0.2, slo_s = 0.1, target = 0.9, backoff = 0.9, max_violation_rate = 0.01,
           max_wait_slos = 0.25;
    int step = 1, max_batch = 64, instances = 1;
  };
  explicit ClipperAimd(Settings s) : s_(s) {}
  double batch_slot_s() const override { return s_.slot_s; }
  BatchAction on_batch(const BatchObservation& obs) override {
    auto& b = batch_[obs.model];
    if (b == 0) b = 1;
    if (obs.slo_s > 0) slo_[obs.model] = obs.slo_s;
    const double slo = slo_.count(obs.model) ? slo_[obs.model] : s_.slo_s;
    if (obs.slot_s > 0 && obs.completed > 0) {
      if (obs.mean_latency_s > slo || obs.slo_violation_rate > s_.max_violation_rate) {
        b = std::max(1, static_cast<int>(std::floor(b * s_.backoff)));
      } else if (obs.mean_latency_s < s_.target * slo) {
        b = std::min(s_.max_batch, b + s_.step);
      }
    }
    BatchAction a;
    a.batch_size = b;
    a.instances = s_.instances;
    a.max_wait_s = s_.max_wait_slos * slo;
    return a;
  }

 private:
  Settings s_;
  std::map<const traces::Model*, int> batch_;
  std::map<const traces::Model*, double> slo_;
};

}  // namespace

PolicyInfo clipper_aimd_info() {
  PolicyInfo info;
  info.name = "clipper_aimd";
  info.roles = {Role::batching};
  info.summary = "Clipper's AIMD adaptive batching: batch + step while the SLO holds, x backoff when missed";
  info.params = {
      {"slo_s", "0.1", "SLO (s) until a model's own is seen; the slot and batching delay follow it"},
      {"slot_slos", "2", "decision slot in SLOs"},
      {"target", "0.9", "additive increase while the slot's mean latency is below target x SLO"},
      {"step", "1", "additive increase of the batch size"},
      {"backoff", "0.9", "multiplicative decrease (Clipper: 10 %) when the mean latency exceeds the SLO"},
      {"max_violation_rate", "0.01", "... or when more than this share of the slot's requests missed it"},
      {"max_batch", "64", "largest batch size, 1..256"},
      {"instances", "1", "instances per model, 1..16"},
      {"max_wait_slos", "0.25", "batching delay in SLOs"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'clipper_aimd'", p, params);
    ClipperAimd::Settings s;
    s.slo_s = reader.number("slo_s", 1e-4, 3600);
    s.slot_s = reader.number("slot_slos", 0.1, 1000) * s.slo_s;
    s.target = reader.number("target", 0.01, 1.0);
    s.step = reader.integer("step", 1, 64);
    s.backoff = reader.number("backoff", 0.01, 0.99);
    s.max_violation_rate = reader.number("max_violation_rate", 0.0, 1.0);
    s.max_batch = reader.integer("max_batch", 1, 256);
    s.instances = reader.integer("instances", 1, 16);
    s.max_wait_slos = reader.number("max_wait_slos", 0.0, 100.0);
    return std::make_unique<ClipperAimd>(s);
  };
  return info;
}

}  // namespace edgetwin::policies

// Triton's dynamic batcher (NVIDIA Triton Inference Server, model configuration
// "dynamic_batching": preferred_batch_size, max_queue_delay_microseconds; instance_group count):
// approximated per slot: the batch an instance waits for is the largest preferred size the queue
// already holds (the smallest preferred size when it holds fewer), and a partial batch leaves
// after the maximum queue delay. Instances fixed. docs/policies.md, "Batching".
namespace edgetwin::policies {

namespace {

class TritonDynamic final : public Policy {
 public:
  TritonDynamic(std::vector<int> preferred, double max_delay_s, int instances, double slot_s)
      : preferred_(std::move(preferred)), max_delay_s_(max_delay_s), instances_(instances), slot_s_(slot_s) {}
  double batch_slot_s() const override { return slot_s_; }
  BatchAction on_batch(const BatchObservation& obs) override {
    BatchAction a;
    a.batch_size = preferred_.front();
    for (int p : preferred_) {
      if (p <= obs.queued) a.batch_size = p;
    }
    a.max_wait_s = max_delay_s_;
    a.instances = instances_;
    return a;
  }

 private:
  std::vector<int> preferred_;
  double max_delay_s_;
  int instances_;
  double slot_s_;
};

}  // namespace

PolicyInfo triton_dynamic_info() {
  PolicyInfo info;
  info.name = "triton_dynamic";
  info.roles = {Role::batching};
  info.summary =
      "Triton-like dynamic batching: the largest preferred batch size waiting, or what waits after the "
      "maximum queue delay; fixed instances";
  info.params = {
      {"preferred_batch_sizes", "[4, 8, 16]", "ascending batch sizes 1..256"},
      {"max_queue_delay_s", "0.005", "a partial batch leaves after this delay (s)"},
      {"instances", "2", "instances per model (Triton's instance_group count), 1..16"},
      {"slot_s", "0.01", "how often the preferred size is re-chosen from the queue (s)"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext&) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'triton_dynamic'", p, params);
    const auto& v = reader.value("preferred_batch_sizes");
    std::vector<int> preferred;
    if (!v.is_array() || v.empty())
      reader.fail("preferred_batch_sizes", "allowed: a non-empty array of sizes");
    for (const auto& e : v) {
      if (!e.is_number_integer() || e.get<int>() < 1 || e.get<int>() > 256 ||
          (!preferred.empty() && e.get<int>() <= preferred.back()))
        reader.fail("preferred_batch_sizes", "found " + e.dump() + ", allowed: ascending integers 1..256");
      preferred.push_back(e.get<int>());
    }
    return std::make_unique<TritonDynamic>(
        std::move(preferred), reader.number("max_queue_delay_s", 0.0, 10.0),
        reader.integer("instances", 1, 16), reader.number("slot_s", 1e-3, 3600));
  };
  return info;
}

}  // namespace edgetwin::policies
