// BCEdge (Zhang et al., IEEE TNSM 2024; arXiv 2305.01519): a maximum-entropy DRL scheduler (discrete
// SAC) picks, per model and time slot, the batch size and the number of concurrent model instances,
// maximising a throughput/latency utility, with a small network predicting the interference
// between the models that run together. The paper's utility, state, reward and hyper-parameters
// were not available: what is ours and why is in docs/policies.md "bcedge".

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// Discrete SAC (the learner library's defaults otherwise): two hidden layers of 64, gamma 0.9
/// (a slot's decision mostly pays within a few slots), small warm-up for short episodes.
nlohmann::json default_sac() {
  return {{"kind", "sac"},    {"hidden", {64, 64}},       {"activation", "relu"}, {"gamma", 0.9},
          {"batch_size", 64}, {"replay_capacity", 20000}, {"warmup", 200},        {"update_every", 1},
          {"seed", 1},        {"normalize_states", true}};
}
/// The DQN variant (what max-entropy adds, issue 16): the same sizes, epsilon-greedy.
nlohmann::json default_dqn() {
  return {{"kind", "dqn"},
          {"hidden", {64, 64}},
          {"activation", "relu"},
          {"gamma", 0.9},
          {"batch_size", 64},
          {"replay_capacity", 20000},
          {"warmup", 200},
          {"update_every", 1},
          {"target_update_every", 200},
          {"epsilon", {{"start", 1.0}, {"end", 0.05}, {"decay_decisions", 3000}, {"shape", "exponential"}}},
          {"seed", 1},
          {"normalize_states", true}};
}

/// The interference predictor's feature columns (edgetwin traces corunners --format dataset): per
/// predictor model a one-hot of the deciding model, log2 of its batch, per predictor model
/// log2(1 + summed batch of the co-runners of that model), the number of co-runners.
std::vector<float> predictor_features(const std::vector<std::string>& models, std::size_t self, int batch,
                                      const std::vector<double>& co_batch, int corunners) {
  std::vector<float> x;
  for (std::size_t m = 0; m < models.size(); ++m) x.push_back(m == self ? 1.0F : 0.0F);
  x.push_back(static_cast<float>(std::log2(batch)));
  for (double c : co_batch) x.push_back(static_cast<float>(std::log2(1.0 + c)));
  x.push_back(static_cast<float>(corunners));
  return x;
}

class BcedgePolicy final : public Policy {
 public:
  struct Settings {
    double slo_s = 0.1;
    double slot_s = 0.2;
    double max_wait_slos = 0.25;
    int max_instances = 4;
    std::vector<int> batches;  // 1, 2, 4, ..., max_batch
    double throughput_scale_hz = 100, latency_weight = 0.5, slo_penalty = 1.0;
    std::vector<std::string> deployed;          // model ids, in deployment order
    std::vector<std::string> predictor_models;  // the predictor's feature models ([] = no predictor)
  };

  BcedgePolicy(Settings s, std::shared_ptr<Agent> agent, std::shared_ptr<Agent> predictor)
      : s_(std::move(s)), agent_(std::move(agent)), predictor_(std::move(predictor)) {}

  double batch_slot_s() const override { return s_.slot_s; }
  bool shares_state() const override { return true; }

  BatchAction on_batch(const BatchObservation& obs) override {
    const auto k = model_index(obs.model->id);
    Memory& mem = memory_[k];
    if (obs.slo_s > 0) mem.slo_s = obs.slo_s;
    const double slo = mem.slo_s > 0 ? mem.slo_s : s_.slo_s;
    std::vector<float> state = state_of(obs, k, slo, mem);
    if (mem.has_previous) {
      agent_->observe(mem.state, mem.action, reward_of(obs, slo), state, false, obs.slot_s);
    }
    const int a = agent_->act(state);
    mem.state = state;
    mem.action = a;
    mem.has_previous = true;
    mem.queued = obs.queued;
    BatchAction out;
    out.batch_size = s_.batches[static_cast<std::size_t>(a / s_.max_instances)];
    out.instances = a % s_.max_instances + 1;
    out.max_wait_s = s_.max_wait_slos * slo;
    current_[k] = out;
    return out;
  }

  /// The slot's utility of this model (docs/simulation.md "Utility", over the slot), from what the
  /// observation reports: completions per second, mean latency over the SLO, the SLO violation
  /// share (dropped and timed-out requests count as violations).
  double reward_of(const BatchObservation& obs, double slo) const {
    if (obs.slot_s <= 0) return 0;
    const double x = static_cast<double>(obs.completed) / obs.slot_s;
    return x / s_.throughput_scale_hz - s_.latency_weight * obs.mean_latency_s / slo -
           s_.slo_penalty * obs.slo_violation_rate;
  }

 private:
  struct Memory {
    std::vector<float> state;
    int action = 0;
    bool has_previous = false;
    int queued = 0;
    double slo_s = 0;
  };

  std::size_t model_index(const std::string& id) const {
    const auto it = std::find(s_.deployed.begin(), s_.deployed.end(), id);
    if (it == s_.deployed.end()) throw std::logic_error("bcedge: model " + id + " is not deployed");
    return static_cast<std::size_t>(it - s_.deployed.begin());
  }

  /// Predicted slowdown of this model's batches beside the current actions of all models
  /// (its own other instances included); 1 without a predictor.
  double predicted_slowdown(std::size_t k, const BatchAction& self) {
    if (!predictor_) return 1.0;
    const auto& pm = s_.predictor_models;
    std::vector<double> co(pm.size(), 0.0);
    int corunners = 0;
    auto slot_of = [&](std::size_t m) {
      return static_cast<std::size_t>(std::find(pm.begin(), pm.end(), s_.deployed[m]) - pm.begin());
    };
    for (std::size_t m = 0; m < s_.deployed.size(); ++m) {
      const auto it = current_.find(m);
      if (it == current_.end()) continue;
      const int n = m == k ? self.instances - 1 : it->second.instances;
      co[slot_of(m)] += static_cast<double>(n) * it->second.batch_size;
      corunners += n;
    }
    const auto out = predictor_->predict(predictor_features(pm, slot_of(k), self.batch_size, co, corunners));
    return out.empty() ? 1.0 : static_cast<double>(out[0]);
  }

  std::vector<float> state_of(const BatchObservation& obs, std::size_t k, double slo, const Memory& mem) {
    const auto current = current_.count(k) ? current_.at(k) : BatchAction{};
    // Arrivals over the slot: what completed plus what the queue grew by.
    const double arrivals = obs.slot_s > 0 ? static_cast<double>(obs.completed + obs.queued - mem.queued) : 0;
    const double rate = obs.slot_s > 0 ? std::max(0.0, arrivals) / obs.slot_s : 0;
    const double all_instances =
        static_cast<double>(s_.deployed.size() * static_cast<std::size_t>(s_.max_instances));
    std::vector<float> x = {
        static_cast<float>(obs.queued / 64.0),
        static_cast<float>(rate / s_.throughput_scale_hz),
        static_cast<float>(obs.oldest_wait_s / slo),
        static_cast<float>(1.0 - obs.mean_latency_s / slo),  // SLO slack of the slot's completions
        static_cast<float>(obs.slo_violation_rate),
        static_cast<float>(obs.executing / all_instances),  // GPU occupancy: batches running
        static_cast<float>(std::log2(std::max(1, current.batch_size)) / 6.0),
        static_cast<float>(current.instances / static_cast<double>(s_.max_instances)),
        static_cast<float>(predicted_slowdown(k, current) - 1.0),
    };
    for (std::size_t m = 0; m < s_.deployed.size(); ++m) x.push_back(m == k ? 1.0F : 0.0F);
    return x;
  }

  Settings s_;
  std::shared_ptr<Agent> agent_;
  std::shared_ptr<Agent> predictor_;
  std::map<std::size_t, Memory> memory_;
  std::map<std::size_t, BatchAction> current_;
};

const std::vector<std::string> kPredictorModels = {"resnet50", "mobilenet_v2", "efficientnet_b0", "yolov8n",
                                                   "vit_b_16"};

}  // namespace

PolicyInfo bcedge_info() {
  PolicyInfo info;
  info.name = "bcedge";
  info.roles = {Role::batching};
  info.learned = true;
  info.summary =
      "BCEdge (TNSM 2024): discrete SAC picks each model's batch size and instances per slot for a "
      "throughput/latency utility, with an interference predictor (learned)";
  info.params = {
      {"slo_s", "0.1",
       "SLO scale (s) until a model's own SLO is seen; the slot and the batching delay follow it"},
      {"slot_slos", "2",
       "slot length in SLOs: slot_s = slot_slos x slo_s (BCEdge derives its slot from the SLOs)"},
      {"max_wait_slos", "0.25",
       "batching delay in SLOs of the model: an instance starts a partial batch then"},
      {"max_batch", "64", "batch sizes 1, 2, 4, ... up to this power of two (1..64)"},
      {"max_instances", "4", "instances per model 1..this (1..8)"},
      {"throughput_scale_hz", "100", "reward = the slot's utility: throughput scale (docs/simulation.md)"},
      {"latency_weight", "0.5", "reward: weight of mean latency / SLO"},
      {"slo_penalty", "1", "reward: weight of the SLO violation share"},
      {"predictor", "true",
       "use the interference predictor (a supervised network, scripts/bcedge-predictor); false: state value "
       "0"},
      {"predictor_network", "\"interference\"", "name of the predictor's network"},
      {"predictor_checkpoint", "\"\"", "the predictor's checkpoint (a training folder or its best/)"},
      {"learner", "{}",
       "overrides of the learner spec (default discrete SAC); {\"kind\": \"dqn\"}: the DQN variant"},
      {"network", "\"bcedge\"", "name of the scheduler's network"},
      {"checkpoint", "\"\"", "the scheduler's checkpoint to evaluate (or edgetwin run --checkpoint)"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'bcedge'", p, params);
    BcedgePolicy::Settings s;
    s.slo_s = reader.number("slo_s", 1e-4, 3600);
    s.slot_s = reader.number("slot_slos", 0.1, 1000) * s.slo_s;
    s.max_wait_slos = reader.number("max_wait_slos", 0, 100);
    const int max_batch = reader.integer("max_batch", 1, 64);
    if ((max_batch & (max_batch - 1)) != 0) reader.fail("max_batch", "allowed: a power of two 1..64");
    for (int b = 1; b <= max_batch; b *= 2) s.batches.push_back(b);
    s.max_instances = reader.integer("max_instances", 1, 8);
    s.throughput_scale_hz = reader.number("throughput_scale_hz", 1e-6, 1e9);
    s.latency_weight = reader.number("latency_weight", 0, 1e6);
    s.slo_penalty = reader.number("slo_penalty", 0, 1e6);
    const bool use_predictor = reader.boolean("predictor");
    for (const auto* m : ctx.models) s.deployed.push_back(m->id);
    if (use_predictor) {
      s.predictor_models = kPredictorModels;
      for (const auto& id : s.deployed) {
        if (std::find(kPredictorModels.begin(), kPredictorModels.end(), id) == kPredictorModels.end())
          reader.fail("predictor",
                      "model " + id +
                          " is not among the predictor's models (resnet50, mobilenet_v2, "
                          "efficientnet_b0, yolov8n, vit_b_16); allowed: false for other models");
      }
    }
    const auto overrides = reader.object("learner");
    for (const char* fixed : {"state_dim", "action_count"}) {
      if (overrides.contains(fixed))
        reader.fail("learner", std::string("'") + fixed + "' is set by the policy");
    }
    const auto kind = overrides.value("kind", std::string("sac"));
    if (kind != "sac" && kind != "dqn") reader.fail("learner", "kind \"" + kind + "\": allowed sac, dqn");
    if (!ctx.agents) {
      throw std::invalid_argument(
          "policy 'bcedge' is learned: evaluate a trained checkpoint with `edgetwin run FILE --checkpoint "
          "DIR` "
          "(or its parameter \"checkpoint\"), or train one with `edgetwin train FILE --out DIR`");
    }
    AgentRequest request;
    request.policy = "bcedge";
    request.learner = kind == "sac" ? default_sac() : default_dqn();
    request.learner.merge_patch(overrides);
    request.learner["state_dim"] = 9 + static_cast<int>(s.deployed.size());
    request.learner["action_count"] = static_cast<int>(s.batches.size()) * s.max_instances;
    request.state_names = {"queued_per_64",    "arrival_rate_per_scale", "oldest_wait_slos",
                           "slo_slack",        "slo_violation_rate",     "batches_running_share",
                           "log2_batch_per_6", "instances_share",        "predicted_slowdown_minus_1"};
    for (const auto& id : s.deployed) request.state_names.push_back("model_" + id);
    for (int b : s.batches) {
      for (int n = 1; n <= s.max_instances; ++n)
        request.action_names.push_back("batch=" + std::to_string(b) + ",instances=" + std::to_string(n));
    }
    request.checkpoint = reader.text("checkpoint");
    request.network = reader.text("network");
    if (request.network.empty()) request.network = "bcedge";
    std::shared_ptr<Agent> predictor;
    if (!s.predictor_models.empty()) {
      AgentRequest pr;
      pr.policy = "bcedge";
      pr.network = reader.text("predictor_network");
      pr.checkpoint = reader.text("predictor_checkpoint");
      const int inputs = 2 * static_cast<int>(kPredictorModels.size()) + 2;
      pr.learner = {{"kind", "supervised"},
                    {"task", "regression"},
                    {"inputs", inputs},
                    {"outputs", 1},
                    {"hidden", {32, 32}}};
      for (const auto& m : kPredictorModels) pr.state_names.push_back("self_" + m);
      pr.state_names.push_back("self_log2_batch");
      for (const auto& m : kPredictorModels) pr.state_names.push_back("co_" + m);
      pr.state_names.push_back("corunners");
      pr.action_names = {"slowdown"};
      predictor = ctx.agents(pr);
    }
    return std::make_unique<BcedgePolicy>(std::move(s), ctx.agents(request), std::move(predictor));
  };
  return info;
}

}  // namespace edgetwin::policies
