// zTT (Kim et al., MobiSys 2021): a DQN that sets the CPU and GPU clocks once per second from
// (clock indices, CPU/GPU power, CPU/GPU temperature, frame rate), rewarding the target frame rate,
// a cool CPU and low power. Reproduced from the paper (doi:10.1145/3458864.3468161) and the
// authors' code (https://github.com/ztt-21/zTT, Jetson_tx2/agent.py and client.py); what differs
// and why: docs/policies.md "ztt".

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "builtin.hpp"
#include "param_reader.hpp"

namespace edgetwin::policies {

namespace {

/// zTT's DQN (ztt-21/zTT, Jetson_tx2/agent.py): MLP 7-6-6-9, Adam lr 0.05, batch 64, buffer 500,
/// training from 200 samples, a gradient step every decision, the target network refreshed every
/// step. Two deviations (docs/policies.md "ztt", measured there): gamma 0.9 instead of 0.99 (with
/// 0.99 three of four learner seeds stayed at the highest clocks), and an exploration schedule
/// slower than zTT's 0.95-per-step decay, because training here spans many short episodes.
nlohmann::json default_learner() {
  return {{"kind", "dqn"},
          {"hidden", {6, 6}},
          {"activation", "relu"},
          {"learning_rate", 0.05},
          {"gamma", 0.9},
          {"batch_size", 64},
          {"replay_capacity", 500},
          {"warmup", 200},
          {"update_every", 1},
          {"target_update_every", 1},
          {"epsilon", {{"start", 1.0}, {"end", 0.02}, {"decay_decisions", 3000}, {"shape", "exponential"}}},
          {"seed", 1}};
}

/// The same network sizes and replay settings with a discrete SAC instead of the DQN: not zTT, a
/// variant for comparisons (`"learner": {"kind": "sac"}`).
nlohmann::json default_sac_learner() {
  return {{"kind", "sac"}, {"hidden", {6, 6}},  {"activation", "relu"},
          {"gamma", 0.9},  {"batch_size", 64},  {"replay_capacity", 500},
          {"warmup", 200}, {"update_every", 1}, {"seed", 1}};
}

class ZttPolicy final : public Policy {
 public:
  struct Settings {
    double target_fps = 15;
    double temp_target_c = 50;
    double beta = 2;
    double power_scale = 10;
    double period_s = 1;
    std::vector<int> cpu_levels, gpu_levels;  // indices into the board's tables
    std::int64_t emc_hz = 0;
  };

  ZttPolicy(Settings s, const traces::Board& board, std::shared_ptr<Agent> agent)
      : s_(std::move(s)), board_(board), agent_(std::move(agent)) {}

  std::optional<Clocks> initial_clocks() const override {
    return Clocks{board_.cpu_freqs_khz[static_cast<std::size_t>(s_.cpu_levels.back())],
                  board_.gpu_freqs_hz[static_cast<std::size_t>(s_.gpu_levels.back())], s_.emc_hz};
  }
  double tick_period_s() const override { return s_.period_s; }
  bool shares_state() const override { return true; }

  TickAction on_tick(const TickObservation& obs) override {
    state_of(obs, state_);
    if (has_previous_) {
      agent_->observe(previous_state_, previous_action_, reward_of(obs), state_, false, obs.period_s);
    }
    const int action = agent_->act(state_);
    previous_state_ = state_;
    previous_action_ = action;
    has_previous_ = true;
    const auto n = s_.gpu_levels.size();
    TickAction out;
    out.change = true;
    out.clocks.cpu_khz =
        board_.cpu_freqs_khz[static_cast<std::size_t>(s_.cpu_levels[static_cast<std::size_t>(action) / n])];
    out.clocks.gpu_hz =
        board_.gpu_freqs_hz[static_cast<std::size_t>(s_.gpu_levels[static_cast<std::size_t>(action) % n])];
    out.clocks.emc_hz = s_.emc_hz;
    return out;
  }

  /// zTT's reward r = u + v + beta / P (the zTT paper, MobiSys 2021; ztt-21/zTT).
  double reward_of(const TickObservation& obs) const {
    const double u = obs.fps >= s_.target_fps ? 1.0 : obs.fps / s_.target_fps;
    double v = 0;
    if (!std::isnan(obs.cpu_temp_c)) {
      v = obs.cpu_temp_c >= s_.temp_target_c ? -2.0 : 0.2 * std::tanh(s_.temp_target_c - obs.cpu_temp_c);
    }
    const auto [cpu, gpu] = domain_powers(obs);
    return u + v + s_.beta / std::max((cpu + gpu) * s_.power_scale, 1e-6);
  }

 private:
  /// CPU and GPU power (W); without per-rail data the total goes to the GPU term.
  static std::pair<double, double> domain_powers(const TickObservation& obs) {
    if (std::isnan(obs.cpu_power_w) || std::isnan(obs.gpu_power_w)) return {0.0, obs.power_w};
    return {obs.cpu_power_w, obs.gpu_power_w};
  }

  void state_of(const TickObservation& obs, std::vector<float>& out) const {
    const auto [cpu, gpu] = domain_powers(obs);
    auto temp = [](double t) { return std::isnan(t) ? 0.0F : static_cast<float>(t); };
    out = {static_cast<float>(table_index(board_.cpu_freqs_khz, obs.clocks.cpu_khz)),
           static_cast<float>(table_index(board_.gpu_freqs_hz, obs.clocks.gpu_hz)),
           static_cast<float>(cpu * s_.power_scale),
           static_cast<float>(gpu * s_.power_scale),
           temp(obs.cpu_temp_c),
           temp(obs.gpu_temp_c),
           static_cast<float>(obs.fps)};
  }

  Settings s_;
  const traces::Board& board_;
  std::shared_ptr<Agent> agent_;
  std::vector<float> state_, previous_state_;
  int previous_action_ = 0;
  bool has_previous_ = false;
};

/// `"auto"`: zTT's TX2 indices where they apply (3, 7, 11 in the 12-step CPU and 13-step GPU
/// tables of the default mode); elsewhere the steps at a third, two thirds and the top of the
/// mode's table (floor(n k / 3) - 1, k = 1, 2, 3), which gives 3, 7, 11 for 12 steps.
std::vector<int> auto_levels(const traces::Board& board, const std::vector<std::int64_t>& table,
                             const std::vector<std::int64_t>& allowed) {
  if (board.id == "tx2" && allowed.size() == table.size() && (table.size() == 12 || table.size() == 13)) {
    return {3, 7, 11};
  }
  std::vector<int> out;
  const auto n = static_cast<int>(allowed.size());
  for (int k = 1; k <= 3; ++k) {
    const int i = std::max(0, n * k / 3 - 1);
    if (out.empty() || i > out.back()) out.push_back(i);
  }
  return out;
}

std::vector<int> levels(const ParamReader& reader, const std::string& key, const traces::Board& board,
                        const std::vector<std::int64_t>& table, const std::vector<std::int64_t>& allowed) {
  const auto& v = reader.value(key);
  if (v == "auto") return auto_levels(board, table, allowed);
  if (!v.is_array() || v.empty())
    reader.fail(key, "found " + v.dump() + ", allowed: \"auto\" or a non-empty array of table indices");
  std::vector<int> out;
  for (const auto& e : v) {
    if (!e.is_number_integer() || e.get<long long>() < 0 ||
        e.get<long long>() >= static_cast<long long>(table.size())) {
      reader.fail(key, "found " + e.dump() + ", allowed indices 0.." + std::to_string(table.size() - 1) +
                           " of the board's table");
    }
    const int i = e.get<int>();
    if (table_index(allowed, table[static_cast<std::size_t>(i)]) < 0) {
      reader.fail(key, "index " + std::to_string(i) + " (" +
                           std::to_string(table[static_cast<std::size_t>(i)]) +
                           ") is above the power mode's cap " + std::to_string(allowed.back()));
    }
    if (!out.empty() && i <= out.back()) reader.fail(key, "indices must be ascending");
    out.push_back(i);
  }
  return out;
}

}  // namespace

PolicyInfo ztt_info() {
  PolicyInfo info;
  info.name = "ztt";
  info.roles = {Role::clocks};
  info.learned = true;
  info.summary =
      "zTT (MobiSys 2021): a DQN sets CPU x GPU clocks every second from clocks, power, temperature and fps "
      "(learned)";
  info.params = {
      {"target_fps", "15", "frame-rate target of the reward (frames/s; zTT: 15 for YOLO, 30 for rendering)"},
      {"temp_target_c", "50",
       "CPU temperature target of the reward (°C); at or above it the reward's v term is -2"},
      {"beta", "2", "weight of the power term beta / P of the reward"},
      {"power_scale", "10", "power units per W in state and reward (10: zTT's INA3221 milliwatts / 100)"},
      {"period_s", "1", "decision period (s)"},
      {"cpu_levels", "\"auto\"",
       "CPU action values: ascending indices into the board's CPU table; \"auto\" = zTT's 3, 7, 11 on the "
       "TX2, else "
       "the steps at 1/3, 2/3 and the top of the power mode's table"},
      {"gpu_levels", "\"auto\"",
       "GPU action values: indices into the board's GPU table, or \"auto\" (as cpu_levels)"},
      {"emc", "\"max\"", "EMC clock, pinned: \"min\", \"max\" or a table value (zTT does not set it)"},
      {"learner", "{}",
       "overrides of the learner spec (default: zTT's DQN, docs/policies.md), e.g. {\"learning_rate\": "
       "0.01}; "
       "{\"kind\": \"sac\"} swaps in a discrete SAC with the same sizes (a variant, not zTT)"},
      {"network", "\"ztt\"",
       "name of the learned network (devices whose policies name the same network share it; each network "
       "is trained and checkpointed on its own)"},
      {"checkpoint", "\"\"",
       "checkpoint directory to evaluate (written by edgetwin train); or edgetwin run --checkpoint"},
  };
  info.make = [params = info.params](const nlohmann::json& p,
                                     const PolicyContext& ctx) -> std::unique_ptr<Policy> {
    const ParamReader reader("policy 'ztt'", p, params);
    const auto tables = context_tables(ctx, reader.who());
    const auto& board = *ctx.board;
    ZttPolicy::Settings s;
    s.target_fps = reader.number("target_fps", 1e-3, 1e6);
    s.temp_target_c = reader.number("temp_target_c", -50, 200);
    s.beta = reader.number("beta", 0, 1e6);
    s.power_scale = reader.number("power_scale", 1e-6, 1e6);
    s.period_s = reader.number("period_s", 1e-3, 3600);
    s.cpu_levels = levels(reader, "cpu_levels", board, board.cpu_freqs_khz, tables.cpu_khz);
    s.gpu_levels = levels(reader, "gpu_levels", board, board.gpu_freqs_hz, tables.gpu_hz);
    s.emc_hz = reader.frequency("emc", tables.emc_hz);

    AgentRequest request;
    request.policy = "ztt";
    const auto overrides = reader.object("learner");
    for (const char* fixed : {"state_dim", "action_count"}) {
      if (overrides.contains(fixed))
        reader.fail("learner", std::string("'") + fixed + "' is set by the policy");
    }
    const auto kind = overrides.value("kind", std::string("dqn"));
    if (kind != "dqn" && kind != "sac")
      reader.fail("learner", "kind \"" + kind + "\": allowed dqn (zTT), sac (a variant)");
    request.learner = kind == "dqn" ? default_learner() : default_sac_learner();
    request.learner.merge_patch(overrides);
    request.learner["state_dim"] = 7;
    request.learner["action_count"] = static_cast<int>(s.cpu_levels.size() * s.gpu_levels.size());
    request.state_names = {"cpu_clock_index", "gpu_clock_index", "cpu_power_dw", "gpu_power_dw",
                           "cpu_temp_c",      "gpu_temp_c",      "fps"};
    for (int c : s.cpu_levels) {
      for (int g : s.gpu_levels) {
        std::ostringstream name;
        name << "cpu_khz=" << board.cpu_freqs_khz[static_cast<std::size_t>(c)]
             << ",gpu_hz=" << board.gpu_freqs_hz[static_cast<std::size_t>(g)];
        request.action_names.push_back(name.str());
      }
    }
    request.checkpoint = reader.text("checkpoint");
    request.network = reader.text("network");
    if (request.network.empty()) request.network = "ztt";
    if (!ctx.agents) {
      throw std::invalid_argument(
          "policy 'ztt' is learned: evaluate a trained checkpoint with `edgetwin run FILE --checkpoint DIR` "
          "(or its parameter \"checkpoint\"), or train one with `edgetwin train FILE --out DIR`");
    }
    return std::make_unique<ZttPolicy>(std::move(s), board, ctx.agents(request));
  };
  return info;
}

}  // namespace edgetwin::policies
