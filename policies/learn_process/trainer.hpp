#pragma once
// `edgetwin-learn train`: the learner process of `edgetwin train`. It holds the scenario's learned
// networks and runs each episode as a child `edgetwin run FILE --seed S --agent-fd 3`, serving
// their decisions and predictions over a socket; writes each network's learning curve and
// checkpoints. With MPI, K such processes average their gradients at every update
// (docs/learning.md, "Scale out over MPI").

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/learner.hpp"

#include "agent_server.hpp"

namespace edgetwin::learn_app {

struct TrainOptions {
  std::string edgetwin;  ///< the simulator executable
  std::string scenario;  ///< scenario file
  std::string scenario_name;
  /// The networks to train ("" = every learned network of the scenario); the others are
  /// evaluated greedily from their checkpoints.
  std::vector<std::string> networks;
  /// Where untrained networks' checkpoints are: DIR or NET=DIR (find_checkpoint).
  std::vector<std::string> checkpoints;
  std::string out;  ///< output directory
  int episodes = 20;
  int eval_every = 5;
  int checkpoint_every = 10;
  std::uint64_t seed = 1;  ///< base seed: training episode e (1-based) uses seed + e
  std::uint64_t eval_seed = 1;
  /// A training output folder (each network continues from its `<network>/last`) or one
  /// network's checkpoint; "" = fresh learners.
  std::string resume;
  bool mpi = false;
  bool mpi_same_seeds = false;
  bool quiet = false;
  std::vector<std::string> run_args;  ///< passed to every `edgetwin run`
};

/// Hooks for data-parallel training; the default (one process) does nothing.
class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  /// Installs the gradient reducer and makes every rank start from rank 0's parameters.
  virtual void attach(learn::DiscreteLearner& /*learner*/) {}
  /// After this rank's training episode: keeps taking part in the other ranks' updates until
  /// every rank has finished its episode.
  virtual void drain(learn::DiscreteLearner& /*learner*/) {}
  /// Element-wise sum over the ranks (in place).
  virtual void sum(std::vector<double>& /*values*/) {}
  /// The number of ranks whose parameters differ from rank 0's, bit for bit (0 by construction;
  /// checked after every episode).
  virtual int ranks_differing(const learn::DiscreteLearner& /*learner*/) { return 0; }
};

/// Runs the whole training; returns the process exit code.
int train(const TrainOptions& options, Collective& collective);

/// `edgetwin-learn serve --fd N --checkpoint C ...`: greedy decisions and predictions from
/// checkpoints for one run; each network's checkpoint is found among `checkpoints` and the
/// policy's own "checkpoint" parameter (find_checkpoint).
int serve_checkpoint(int fd, const std::vector<std::string>& checkpoints);

}  // namespace edgetwin::learn_app
