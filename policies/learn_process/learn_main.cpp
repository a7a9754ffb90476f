// `edgetwin-learn`: the process that holds a learner (libtorch) for the simulator, which does
// not link libtorch. Started by `edgetwin train` (train) and `edgetwin run --checkpoint` (serve);
// not meant to be run by hand, though it can be (--help).

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "edgetwin/learn/error.hpp"

#include "fit.hpp"
#include "trainer.hpp"

#ifdef EDGETWIN_WITH_MPI
#include <mpi.h>
#endif

namespace po = boost::program_options;
using edgetwin::learn_app::Collective;
using edgetwin::learn_app::TrainOptions;

namespace {

#ifdef EDGETWIN_WITH_MPI
/// Data-parallel training (docs/learning.md): every update is one MPI_Allreduce of
/// [weight x gradient, weight, active] over the ranks, weight = 1 for a rank whose episode is
/// running and 0 for one that has finished it (drain). The step applies the sum divided by the
/// summed weight, the same on every rank, so parameters, optimiser state and counters stay
/// identical; a round in which no rank is running applies nothing and ends the episode for all.
class MpiCollective final : public Collective {
 public:
  MpiCollective() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void attach(edgetwin::learn::DiscreteLearner& learner) override {
    auto params = learner.parameters_flat();
    MPI_Bcast(params.data(), static_cast<int>(params.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    learner.set_parameters_flat(params);
    learner.set_gradient_reducer([this](std::vector<float>& gradient) { return reduce(gradient); });
  }

  void drain(edgetwin::learn::DiscreteLearner& learner) override {
    // Any batch of the right shape: its gradient is weighted 0.
    edgetwin::learn::TransitionBatch dummy;
    dummy.state_dim = learner.state_dim();
    edgetwin::learn::Transition t;
    t.state.assign(static_cast<std::size_t>(learner.state_dim()), 0.0F);
    t.next_state = t.state;
    dummy.push_back(t);
    draining_ = true;
    do {
      learner.update_on(dummy);
    } while (active_ > 0.5F);
    draining_ = false;
  }

  int ranks_differing(const edgetwin::learn::DiscreteLearner& learner) override {
    const auto mine = learner.parameters_flat();
    auto lead = mine;
    MPI_Bcast(lead.data(), static_cast<int>(lead.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    int differs = std::memcmp(lead.data(), mine.data(), mine.size() * sizeof(float)) != 0 ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &differs, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    return differs;
  }

  void sum(std::vector<double>& values) override {
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
  }

 private:
  bool reduce(std::vector<float>& gradient) {
    const float weight = draining_ ? 0.0F : 1.0F;
    buffer_.resize(gradient.size() + 2);
    for (std::size_t i = 0; i < gradient.size(); ++i) buffer_[i] = weight * gradient[i];
    buffer_[gradient.size()] = weight;
    buffer_[gradient.size() + 1] = weight;  // active
    MPI_Allreduce(MPI_IN_PLACE, buffer_.data(), static_cast<int>(buffer_.size()), MPI_FLOAT, MPI_SUM,
                  MPI_COMM_WORLD);
    const float total = buffer_[gradient.size()];
    active_ = buffer_[gradient.size() + 1];
    if (total < 0.5F) return false;
    for (std::size_t i = 0; i < gradient.size(); ++i) gradient[i] = buffer_[i] / total;
    return true;
  }

  int rank_ = 0, size_ = 1;
  bool draining_ = false;
  float active_ = 0;
  std::vector<float> buffer_;
};
#endif

void usage() {
  std::cout << "edgetwin-learn: the learner process of edgetwin (libtorch); started by\n"
               "  edgetwin train FILE ...            -> edgetwin-learn train --edgetwin PATH --scenario FILE "
               "... -- RUN_ARGS\n"
               "  edgetwin run FILE --checkpoint DIR -> edgetwin-learn serve --fd N [--checkpoint C ...]\n"
               "  edgetwin train --dataset CSV --model SPEC -> edgetwin-learn fit --dataset CSV --model SPEC "
               "--out DIR\n"
               "see docs/learning.md\n";
}

int run_train(const std::vector<std::string>& args) {
  TrainOptions o;
  std::vector<std::string> own;
  bool rest = false;
  for (const auto& a : args) {
    if (rest)
      o.run_args.push_back(a);
    else if (a == "--")
      rest = true;
    else
      own.push_back(a);
  }
  po::options_description options("edgetwin-learn train");
  options.add_options()("help", "this help")("edgetwin", po::value(&o.edgetwin)->required(),
                                             "simulator executable")(
      "scenario", po::value(&o.scenario)->required(), "scenario file")(
      "scenario-name", po::value(&o.scenario_name), "scenario name")(
      "network", po::value(&o.networks)->composing(), "a network to train (repeatable; default: all)")(
      "checkpoint", po::value(&o.checkpoints)->composing(), "checkpoints of the networks not trained")(
      "out", po::value(&o.out)->required(), "output directory")(
      "episodes", po::value(&o.episodes), "training episodes")("eval-every", po::value(&o.eval_every), "")(
      "checkpoint-every", po::value(&o.checkpoint_every), "")("seed", po::value(&o.seed), "base seed")(
      "eval-seed", po::value(&o.eval_seed), "")("resume", po::value(&o.resume), "checkpoint to continue")(
      "mpi", po::bool_switch(&o.mpi), "")("mpi-same-seeds", po::bool_switch(&o.mpi_same_seeds), "")(
      "quiet", po::bool_switch(&o.quiet), "");
  po::variables_map vm;
  po::store(po::command_line_parser(own).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(vm);
  if (!o.mpi) {
    Collective single;
    return edgetwin::learn_app::train(o, single);
  }
#ifdef EDGETWIN_WITH_MPI
  MPI_Init(nullptr, nullptr);
  int code = 0;
  {
    MpiCollective collective;
    try {
      code = edgetwin::learn_app::train(o, collective);
    } catch (const std::exception& e) {
      std::cerr << "\nerror (rank " << collective.rank() << "): " << e.what() << "\n";
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  MPI_Finalize();
  return code;
#else
  std::cerr
      << "error: this edgetwin-learn was built without MPI (apt-get install libopenmpi-dev openmpi-bin, "
         "then rebuild)\n";
  return 1;
#endif
}

int run_fit(const std::vector<std::string>& args) {
  edgetwin::learn_app::FitOptions o;
  po::options_description options("edgetwin-learn fit");
  options.add_options()("help", "this help")("dataset", po::value(&o.dataset)->required(), "CSV file")(
      "model", po::value(&o.model)->required(), "model spec (JSON)")("out", po::value(&o.out)->required(),
                                                                     "output directory")(
      "epochs", po::value(&o.epochs), "epochs (default: the spec's)")("seed", po::value(&o.seed), "seed")(
      "resume", po::value(&o.resume), "checkpoint or training folder")("quiet", po::bool_switch(&o.quiet),
                                                                       "");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(vm);
  return edgetwin::learn_app::fit(o);
}

int run_serve(const std::vector<std::string>& args) {
  int fd = -1;
  std::vector<std::string> checkpoints;
  po::options_description options("edgetwin-learn serve");
  options.add_options()("help", "this help")("fd", po::value(&fd)->required(), "connected socket")(
      "checkpoint", po::value(&checkpoints)->composing(),
      "a checkpoint, a training folder or NETWORK=DIR (repeatable)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(vm);
  return edgetwin::learn_app::serve_checkpoint(fd, checkpoints);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    usage();
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "train") return run_train(args);
    if (command == "serve") return run_serve(args);
    if (command == "fit") return run_fit(args);
    std::cerr << "error: unknown command '" << command << "' (train, serve, fit)\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << " (edgetwin-learn " << command << " --help)\n";
    return 2;
  } catch (const edgetwin::learn::ConfigError& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return 2;
  } catch (const edgetwin::learn::CheckpointError& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return 3;
  } catch (const std::invalid_argument& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "\nerror: " << e.what() << "\n";
    return 1;
  }
}
