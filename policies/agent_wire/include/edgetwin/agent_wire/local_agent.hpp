#pragma once
/// An Agent answered in the simulator's own process from a checkpoint's greedy network
/// (greedy_network.hpp): `edgetwin run --checkpoint` without libtorch.

#include <memory>
#include <vector>

#include "edgetwin/agent_wire/greedy_network.hpp"
#include "edgetwin/policies/agent.hpp"

namespace edgetwin::policies {

/// An Agent that decides from a GreedyNetwork in this process: greedy actions or predictions;
/// observe() and sample() only count (nothing learns).
class LocalAgent final : public Agent {
 public:
  explicit LocalAgent(std::shared_ptr<const GreedyNetwork> network) : network_(std::move(network)) {}
  int act(const std::vector<float>& state) override { return network_->act(state); }
  void observe(const std::vector<float>&, int, double reward, const std::vector<float>&, bool,
               double) override {
    reward_sum_ += reward;
    ++decisions_;
  }
  std::vector<float> predict(const std::vector<float>& input) override { return network_->forward(input); }
  void sample(const std::vector<float>&, const std::vector<float>&) override {}
  long decisions() const { return decisions_; }
  double reward_sum() const { return reward_sum_; }

 private:
  std::shared_ptr<const GreedyNetwork> network_;
  long decisions_ = 0;
  double reward_sum_ = 0;
};

}  // namespace edgetwin::policies
