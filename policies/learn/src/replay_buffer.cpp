// Transitions, batches and the ring replay buffer.

#include "edgetwin/learn/replay_buffer.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace edgetwin::learn {

double transition_discount(double gamma, double dt_s, bool per_second) {
  return per_second ? std::pow(gamma, dt_s) : gamma;
}

void TransitionBatch::clear() {
  states.clear();
  actions.clear();
  rewards.clear();
  next_states.clear();
  dones.clear();
  dt_s.clear();
}

void TransitionBatch::reserve(std::size_t n) {
  const auto dim = static_cast<std::size_t>(state_dim);
  states.reserve(n * dim);
  next_states.reserve(n * dim);
  actions.reserve(n);
  rewards.reserve(n);
  dones.reserve(n);
  dt_s.reserve(n);
}

void TransitionBatch::push_back(const Transition& t) {
  const auto dim = static_cast<std::size_t>(state_dim);
  if (t.state.size() != dim || t.next_state.size() != dim) {
    throw std::invalid_argument("transition batch: state has " + std::to_string(t.state.size()) +
                                " values and next_state " + std::to_string(t.next_state.size()) +
                                ", expected state_dim " + std::to_string(dim));
  }
  states.insert(states.end(), t.state.begin(), t.state.end());
  next_states.insert(next_states.end(), t.next_state.begin(), t.next_state.end());
  actions.push_back(t.action);
  rewards.push_back(static_cast<float>(t.reward));
  dones.push_back(t.done ? 1.0F : 0.0F);
  dt_s.push_back(static_cast<float>(t.dt_s));
}

void TransitionBatch::append(const TransitionBatch& other) {
  if (other.state_dim != state_dim) {
    throw std::invalid_argument("transition batch: append of state_dim " + std::to_string(other.state_dim) +
                                " to state_dim " + std::to_string(state_dim));
  }
  states.insert(states.end(), other.states.begin(), other.states.end());
  next_states.insert(next_states.end(), other.next_states.begin(), other.next_states.end());
  actions.insert(actions.end(), other.actions.begin(), other.actions.end());
  rewards.insert(rewards.end(), other.rewards.begin(), other.rewards.end());
  dones.insert(dones.end(), other.dones.begin(), other.dones.end());
  dt_s.insert(dt_s.end(), other.dt_s.begin(), other.dt_s.end());
}

ReplayBuffer::ReplayBuffer(std::size_t capacity, int state_dim, std::uint64_t seed)
    : capacity_(capacity), state_dim_(state_dim), rng_(seed) {
  if (capacity == 0) throw std::invalid_argument("replay buffer: capacity: found 0, allowed >= 1");
  if (state_dim < 1) {
    throw std::invalid_argument("replay buffer: state_dim: found " + std::to_string(state_dim) +
                                ", allowed >= 1");
  }
}

void ReplayBuffer::push(const Transition& t) {
  const auto dim = static_cast<std::size_t>(state_dim_);
  if (t.state.size() != dim || t.next_state.size() != dim) {
    throw std::invalid_argument("replay buffer: state has " + std::to_string(t.state.size()) +
                                " values and next_state " + std::to_string(t.next_state.size()) +
                                ", expected state_dim " + std::to_string(dim));
  }
  if (!(t.dt_s >= 0))
    throw std::invalid_argument("replay buffer: dt_s: found " + std::to_string(t.dt_s) + ", allowed >= 0");
  if (size_ < capacity_) {
    // Still filling: rows are appended, so storage order is age order until the first wrap.
    states_.insert(states_.end(), t.state.begin(), t.state.end());
    next_states_.insert(next_states_.end(), t.next_state.begin(), t.next_state.end());
    actions_.push_back(t.action);
    rewards_.push_back(static_cast<float>(t.reward));
    dones_.push_back(t.done ? 1.0F : 0.0F);
    dt_s_.push_back(static_cast<float>(t.dt_s));
    ++size_;
  } else {
    std::copy(t.state.begin(), t.state.end(), states_.begin() + static_cast<std::ptrdiff_t>(head_ * dim));
    std::copy(t.next_state.begin(), t.next_state.end(),
              next_states_.begin() + static_cast<std::ptrdiff_t>(head_ * dim));
    actions_[head_] = t.action;
    rewards_[head_] = static_cast<float>(t.reward);
    dones_[head_] = t.done ? 1.0F : 0.0F;
    dt_s_[head_] = static_cast<float>(t.dt_s);
  }
  head_ = (head_ + 1) % capacity_;
  ++pushed_;
}

void ReplayBuffer::copy_row(std::size_t row, TransitionBatch& out) const {
  const auto dim = static_cast<std::size_t>(state_dim_);
  const auto* s = states_.data() + row * dim;
  const auto* n = next_states_.data() + row * dim;
  out.states.insert(out.states.end(), s, s + dim);
  out.next_states.insert(out.next_states.end(), n, n + dim);
  out.actions.push_back(actions_[row]);
  out.rewards.push_back(rewards_[row]);
  out.dones.push_back(dones_[row]);
  out.dt_s.push_back(dt_s_[row]);
}

void ReplayBuffer::sample_into(std::size_t n, TransitionBatch& out) {
  if (size_ == 0) throw std::logic_error("replay buffer: sample from an empty buffer");
  out.state_dim = state_dim_;
  out.clear();
  out.reserve(n);
  std::uniform_int_distribution<std::size_t> pick(0, size_ - 1);
  for (std::size_t i = 0; i < n; ++i) copy_row(pick(rng_), out);
}

TransitionBatch ReplayBuffer::sample(std::size_t n) {
  TransitionBatch out;
  sample_into(n, out);
  return out;
}

std::size_t ReplayBuffer::index_of_oldest(std::size_t i) const {
  return size_ < capacity_ ? i : (head_ + i) % capacity_;
}

Transition ReplayBuffer::at(std::size_t i) const {
  if (i >= size_) {
    throw std::out_of_range("replay buffer: index " + std::to_string(i) + " >= size " +
                            std::to_string(size_));
  }
  const auto row = index_of_oldest(i);
  const auto dim = static_cast<std::size_t>(state_dim_);
  Transition t;
  t.state.assign(states_.begin() + static_cast<std::ptrdiff_t>(row * dim),
                 states_.begin() + static_cast<std::ptrdiff_t>((row + 1) * dim));
  t.next_state.assign(next_states_.begin() + static_cast<std::ptrdiff_t>(row * dim),
                      next_states_.begin() + static_cast<std::ptrdiff_t>((row + 1) * dim));
  t.action = static_cast<int>(actions_[row]);
  t.reward = rewards_[row];
  t.done = dones_[row] != 0.0F;
  t.dt_s = dt_s_[row];
  return t;
}

void ReplayBuffer::clear() {
  states_.clear();
  next_states_.clear();
  actions_.clear();
  rewards_.clear();
  dones_.clear();
  dt_s_.clear();
  size_ = 0;
  head_ = 0;
}

std::string ReplayBuffer::rng_state() const {
  std::ostringstream out;
  out << rng_;
  return out.str();
}

void ReplayBuffer::set_rng_state(const std::string& text) {
  std::istringstream in(text);
  in >> rng_;
  if (!in) throw std::invalid_argument("replay buffer: unreadable generator state");
}

void ReplayBuffer::restore(std::vector<float> states, std::vector<float> next_states,
                           std::vector<std::int64_t> actions, std::vector<float> rewards,
                           std::vector<float> dones, std::vector<float> dt_s, std::size_t head,
                           std::uint64_t pushed) {
  const std::size_t rows = actions.size();
  const auto dim = static_cast<std::size_t>(state_dim_);
  if (rows > capacity_ || states.size() != rows * dim || next_states.size() != rows * dim ||
      rewards.size() != rows || dones.size() != rows || dt_s.size() != rows ||
      (rows > 0 && head >= capacity_) || (rows < capacity_ && head != rows % capacity_)) {
    throw std::invalid_argument("replay buffer: inconsistent stored rows (" + std::to_string(rows) +
                                " actions, " + std::to_string(states.size()) + " state values, head " +
                                std::to_string(head) + ", capacity " + std::to_string(capacity_) + ")");
  }
  states_ = std::move(states);
  next_states_ = std::move(next_states);
  actions_ = std::move(actions);
  rewards_ = std::move(rewards);
  dones_ = std::move(dones);
  dt_s_ = std::move(dt_s);
  size_ = rows;
  head_ = head;
  pushed_ = pushed;
}

}  // namespace edgetwin::learn
