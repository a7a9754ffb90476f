// Epsilon-greedy schedule.

#include <algorithm>
#include <cmath>

#include "edgetwin/learn/dqn.hpp"

namespace edgetwin::learn {

double EpsilonSchedule::at(std::uint64_t decisions) const {
  if (decay_decisions == 0 || decisions >= decay_decisions) return end;
  const double progress = static_cast<double>(decisions) / static_cast<double>(decay_decisions);
  if (shape == Shape::kLinear) return start + (end - start) * progress;
  // 0.01^progress: 99% of the way from start to end after decay_decisions.
  return end + (start - end) * std::pow(0.01, progress);
}

}  // namespace edgetwin::learn
