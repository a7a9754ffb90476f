#pragma once
/// A factorised discrete action: D branches (action dimensions) of n_0, ..., n_{D-1} choices
/// each, e.g. DVFO's CPU level x GPU level x EMC level x offload-share bin. The learners give
/// every branch its own head (docs/learning.md, "Branched heads"); the tuple (a_0, ..., a_{D-1})
/// and a joint index in [0, n_0 * ... * n_{D-1}) name the same action, the first branch being
/// the most significant digit: joint = ((a_0 * n_1 + a_1) * n_2 + a_2) ... Header-only: used by
/// the learners (libtorch) and by the policies and the agent protocol (no libtorch).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgetwin::common {

/// The product of the branch sizes (the joint action count); throws std::invalid_argument when a
/// size is < 1 or the product exceeds 2^31 - 1.
inline int joint_action_count(const std::vector<int>& branches) {
  std::int64_t product = 1;
  for (std::size_t d = 0; d < branches.size(); ++d) {
    if (branches[d] < 1) {
      throw std::invalid_argument("branches[" + std::to_string(d) + "]: found " +
                                  std::to_string(branches[d]) + ", allowed >= 1");
    }
    product *= branches[d];
    if (product > 2147483647) throw std::invalid_argument("branches: joint action count exceeds 2^31 - 1");
  }
  return static_cast<int>(product);
}

/// The tuple of a joint index (throws std::out_of_range outside [0, joint_action_count)).
inline std::vector<int> action_tuple(const std::vector<int>& branches, int joint) {
  if (joint < 0 || joint >= joint_action_count(branches)) {
    throw std::out_of_range("joint action " + std::to_string(joint) + " outside [0, " +
                            std::to_string(joint_action_count(branches)) + ")");
  }
  std::vector<int> tuple(branches.size());
  for (std::size_t d = branches.size(); d-- > 0;) {
    tuple[d] = joint % branches[d];
    joint /= branches[d];
  }
  return tuple;
}

/// The joint index of a tuple (throws std::out_of_range on a wrong length or a component out of
/// its branch's range).
inline int joint_action(const std::vector<int>& branches, const std::vector<int>& tuple) {
  if (tuple.size() != branches.size()) {
    throw std::out_of_range("action tuple of " + std::to_string(tuple.size()) + " components, expected " +
                            std::to_string(branches.size()));
  }
  std::int64_t joint = 0;
  for (std::size_t d = 0; d < branches.size(); ++d) {
    if (tuple[d] < 0 || tuple[d] >= branches[d]) {
      throw std::out_of_range("action component " + std::to_string(d) + ": found " +
                              std::to_string(tuple[d]) + ", allowed [0, " + std::to_string(branches[d]) +
                              ")");
    }
    joint = joint * branches[d] + tuple[d];
  }
  return static_cast<int>(joint);
}

}  // namespace edgetwin::common
