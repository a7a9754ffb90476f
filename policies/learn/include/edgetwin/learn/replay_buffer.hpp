#pragma once
/// Transitions of a discrete-action semi-MDP and a fixed-capacity replay buffer (a ring) with
/// seeded uniform sampling. No libtorch here: states are plain floats.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace edgetwin::learn {

/// One decision and its outcome. `dt_s` is the simulated time between this decision and the next
/// one (the semi-MDP sojourn time); the reward is everything earned over that interval.
struct Transition {
  std::vector<float> state;
  int action = 0;
  double reward = 0;
  std::vector<float> next_state;
  bool done = false;  ///< next_state is terminal: no bootstrapping from it
  double dt_s = 1.0;  ///< simulated seconds until the next decision (> 0 when discounting per second)
};

/// Discount of one transition: gamma^dt_s when `per_second` (gamma is then the discount per
/// simulated second), else gamma (one step per decision, dt_s ignored).
double transition_discount(double gamma, double dt_s, bool per_second);

/// A batch in structure-of-arrays form: row i of states is states[i*state_dim .. (i+1)*state_dim).
struct TransitionBatch {
  int state_dim = 0;
  std::vector<float> states;
  std::vector<std::int64_t> actions;
  std::vector<float> rewards;
  std::vector<float> next_states;
  std::vector<float> dones;  ///< 1 = terminal
  std::vector<float> dt_s;

  std::size_t size() const { return actions.size(); }
  void clear();
  void reserve(std::size_t n);
  void push_back(const Transition& t);  ///< throws std::invalid_argument on a state of the wrong size
  /// Appends all rows of `other` (same state_dim).
  void append(const TransitionBatch& other);
};

/// Ring buffer of the last `capacity` transitions. Sampling is uniform with replacement and uses
/// the buffer's own std::mt19937_64, so it is reproducible from the seed and independent of
/// any other random stream.
class ReplayBuffer {
 public:
  ReplayBuffer(std::size_t capacity, int state_dim, std::uint64_t seed);

  /// Stores `t`, overwriting the oldest transition when full. Throws std::invalid_argument when
  /// a state does not have state_dim values or dt_s is negative.
  void push(const Transition& t);
  /// `n` transitions drawn uniformly with replacement; throws std::logic_error when empty.
  TransitionBatch sample(std::size_t n);
  /// Same, into `out` (reuses its memory).
  void sample_into(std::size_t n, TransitionBatch& out);
  /// The i-th oldest stored transition, i < size().
  Transition at(std::size_t i) const;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  int state_dim() const { return state_dim_; }
  /// Total pushes since construction (or since the state was restored).
  std::uint64_t pushed() const { return pushed_; }
  void clear();

  /// Raw storage for checkpoints: rows in storage order (not age order) and the ring position.
  const std::vector<float>& raw_states() const { return states_; }
  const std::vector<float>& raw_next_states() const { return next_states_; }
  const std::vector<std::int64_t>& raw_actions() const { return actions_; }
  const std::vector<float>& raw_rewards() const { return rewards_; }
  const std::vector<float>& raw_dones() const { return dones_; }
  const std::vector<float>& raw_dt_s() const { return dt_s_; }
  std::size_t head() const { return head_; }
  /// The sampling generator's state as text (std::mt19937_64 stream format), and its restore.
  std::string rng_state() const;
  void set_rng_state(const std::string& text);
  /// Restores the storage written by the raw_* accessors; sizes must be size*state_dim etc.
  void restore(std::vector<float> states, std::vector<float> next_states, std::vector<std::int64_t> actions,
               std::vector<float> rewards, std::vector<float> dones, std::vector<float> dt_s,
               std::size_t head, std::uint64_t pushed);

 private:
  std::size_t index_of_oldest(std::size_t i) const;
  void copy_row(std::size_t row, TransitionBatch& out) const;

  std::size_t capacity_;
  int state_dim_;
  std::size_t size_ = 0;
  std::size_t head_ = 0;  ///< next row to write
  std::uint64_t pushed_ = 0;
  std::vector<float> states_, next_states_, rewards_, dones_, dt_s_;
  std::vector<std::int64_t> actions_;
  std::mt19937_64 rng_;
};

}  // namespace edgetwin::learn
