// The training loop of `edgetwin-learn train` and the checkpoint server (trainer.hpp).

#include "trainer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "edgetwin/common/child_process.hpp"
#include "edgetwin/common/strings.hpp"
#include "edgetwin/learn/dqn.hpp"
#include "edgetwin/learn/error.hpp"
#include "edgetwin/learn/factory.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgetwin::learn_app {

namespace fs = std::filesystem;
namespace wire = policies::wire;

namespace {

std::string padded(int n) {
  std::ostringstream os;
  os << std::setw(4) << std::setfill('0') << n;
  return os.str();
}

/// The last `lines` lines of a file, each prefixed "  | " (for messages about a failed episode).
std::string tail(const std::string& path, int lines) {
  std::istringstream in(common::tail_of_file(path, lines));
  std::string out;
  for (std::string line; std::getline(in, line);) out += "  | " + line + "\n";
  return out;
}

double number_or_nan(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return std::nan("");
  return j.at(key).get<double>();
}

/// One curve row: what a training or evaluation episode did.
struct CurveRow {
  int episode = 0;
  std::string kind;  // "train" or "eval"
  std::uint64_t seed = 0;
  NetworkStats stats;
  nlohmann::json summary;
  double wall_s = 0;
  double return_mean_over_ranks = std::nan("");
  int ranks = 1;
};

/// An episode: every network's stats and the run's summary.
struct Episode {
  int episode = 0;
  std::string kind;
  std::uint64_t seed = 0;
  EpisodeStats stats;
  double wall_s = 0;

  CurveRow row(const std::string& network) const {
    CurveRow r;
    r.episode = episode;
    r.kind = kind;
    r.seed = seed;
    r.stats = stats.of(network);
    r.summary = stats.summary;
    r.wall_s = wall_s;
    return r;
  }
};

/// Supervised networks: one row per epoch of the fit after each training episode.
const char* kSupervisedCurveHeader =
    "episode,kind,seed,epoch,samples,predictions,train_loss,validation_loss,train_accuracy,validation_"
    "accuracy,"
    "updates,wall_s\n";

const char* kCurveHeader =
    "episode,kind,seed,ranks,decisions,return,mean_reward,return_mean_over_ranks,updates,loss_mean,q_mean,"
    "epsilon,"
    "alpha,entropy,wall_s,simulated_s,sim_s_per_wall_s,requests_completed,throughput_rps,latency_p95_s,"
    "slo_violation_rate,device_energy_j,energy_per_request_j,max_cpu_temp_c,max_gpu_temp_c\n";

void write_row(std::ostream& out, const CurveRow& r) {
  const auto& s = r.stats;
  const auto& overall =
      r.summary.is_object() && r.summary.contains("overall") ? r.summary.at("overall") : nlohmann::json();
  const double sim_s = number_or_nan(r.summary, "simulated_end_s");
  out << r.episode << ',' << r.kind << ',' << r.seed << ',' << r.ranks << ',' << s.decisions << ','
      << csv_number(s.reward_sum) << ','
      << csv_number(s.decisions > 0 ? s.reward_sum / static_cast<double>(s.decisions) : std::nan("")) << ','
      << csv_number(r.return_mean_over_ranks) << ',' << s.updates << ','
      << csv_number(s.updates > 0 ? s.loss_sum / static_cast<double>(s.updates) : std::nan("")) << ','
      << csv_number(s.updates > 0 ? s.q_sum / static_cast<double>(s.updates) : std::nan("")) << ','
      << csv_number(s.epsilon) << ',' << csv_number(s.alpha) << ',' << csv_number(s.entropy) << ','
      << csv_number(r.wall_s) << ',' << csv_number(sim_s) << ',' << csv_number(sim_s / r.wall_s) << ','
      << csv_number(number_or_nan(overall, "requests_completed")) << ','
      << csv_number(number_or_nan(overall, "throughput_rps")) << ','
      << csv_number(number_or_nan(overall, "latency_p95_s")) << ','
      << csv_number(number_or_nan(overall, "slo_violation_rate")) << ','
      << csv_number(number_or_nan(overall, "device_energy_j")) << ','
      << csv_number(number_or_nan(overall, "energy_per_request_j")) << ','
      << csv_number(number_or_nan(overall, "max_cpu_temp_c")) << ','
      << csv_number(number_or_nan(overall, "max_gpu_temp_c")) << '\n';
  out.flush();
}

/// What the trainer keeps per trained network besides the Network itself.
struct Trained {
  Network* network = nullptr;
  std::ofstream curve;
  double best = -std::numeric_limits<double>::infinity();  ///< decision: return; supervised: -loss
  double last_eval = std::nan("");
  std::string last_line;  ///< for the progress line
};

class Trainer {
 public:
  Trainer(const TrainOptions& o, Collective& c) : o_(o), collective_(c) {}

  int run() {
    const bool lead = collective_.rank() == 0;
    const fs::path out(o_.out);
    int first = 1;
    if (!o_.resume.empty()) first = episodes_done(o_.resume) + 1;
    fs::create_directories(out / "logs");
    if (lead && o_.resume.empty()) {
      for (const auto& entry : fs::directory_iterator(out)) {
        if (fs::exists(entry.path() / "curve.csv")) {
          throw std::invalid_argument(o_.out + ": already holds a training run (" +
                                      (entry.path() / "curve.csv").string() +
                                      "); continue it with --resume " + o_.out + ", or choose another --out");
        }
      }
    }
    const auto start = std::chrono::steady_clock::now();
    const int last = first + o_.episodes - 1;
    for (int episode = first; episode <= last; ++episode) {
      const std::uint64_t seed =
          o_.seed + static_cast<std::uint64_t>(episode) +
          (o_.mpi_same_seeds ? 0 : 1000003ULL * static_cast<std::uint64_t>(collective_.rank()));
      const Episode train = run_episode(episode, "train", seed);
      if (decider_for_mpi_ != nullptr) {
        collective_.drain(*decider_for_mpi_);
        if (const int differing = collective_.ranks_differing(*decider_for_mpi_); differing > 0) {
          throw std::logic_error(
              "after episode " + std::to_string(episode) + ", " + std::to_string(differing) +
              " rank(s) hold parameters that differ from rank 0's (a bug: please report it)");
        }
      }
      std::vector<double> sums;
      for (const auto& t : trained_) sums.push_back(train.stats.of(t->network->name).reward_sum);
      collective_.sum(sums);
      // Supervised networks learn from the examples gathered so far, after each training episode.
      std::vector<std::vector<learn::EpochStats>> fits(trained_.size());
      for (std::size_t i = 0; i < trained_.size(); ++i) {
        Network& n = *trained_[i]->network;
        if (n.is_supervised() && n.inputs.size() >= 2) fits[i] = n.supervised->fit(n.dataset());
      }
      if (!lead) continue;
      const bool evaluate = o_.eval_every > 0 && (episode % o_.eval_every == 0 || episode == last);
      Episode eval;
      if (evaluate) eval = run_episode(episode, "eval", o_.eval_seed);
      for (std::size_t i = 0; i < trained_.size(); ++i) {
        auto& t = *trained_[i];
        Network& n = *t.network;
        double score = 0;
        std::string score_kind;
        bool scored = false;
        if (n.is_supervised()) {
          for (const auto& e : fits[i]) write_supervised_row(t, train, e);
          if (!fits[i].empty()) {
            const auto& e = fits[i].back();
            score = -(std::isnan(e.validation_loss) ? e.train_loss : e.validation_loss);
            score_kind = std::isnan(e.validation_loss) ? "training loss" : "validation loss";
            scored = true;
            t.last_line = n.name + " loss " + csv_number(-score);
          } else {
            t.last_line = n.name + " (no examples yet)";
          }
        } else {
          CurveRow row = train.row(n.name);
          row.ranks = collective_.size();
          row.return_mean_over_ranks = sums[i] / collective_.size();
          if (n.kind == "dqn") row.stats.epsilon = static_cast<learn::DqnLearner&>(*n.decider).epsilon();
          write_row(t.curve, row);
          score = row.return_mean_over_ranks;
          score_kind = "training return";
          if (evaluate) {
            CurveRow e = eval.row(n.name);
            e.return_mean_over_ranks = e.stats.reward_sum;
            write_row(t.curve, e);
            score = e.stats.reward_sum;
            score_kind = "evaluation return";
            t.last_eval = score;
          }
          scored = o_.eval_every == 0 || evaluate;
          std::ostringstream line;
          line << std::fixed << std::setprecision(2) << n.name << " return " << row.return_mean_over_ranks;
          if (!std::isnan(t.last_eval)) line << " eval " << t.last_eval;
          if (n.kind == "dqn")
            line << " epsilon " << row.stats.epsilon;
          else
            line << " alpha " << row.stats.alpha;
          t.last_line = line.str();
        }
        const fs::path dir = out / n.name;
        if (scored && score > t.best) {
          t.best = score;
          n.save_atomically((dir / "best").string(), user(t, episode, score_kind));
        }
        n.save_atomically((dir / "last").string(), user(t, episode, score_kind));
        if (o_.checkpoint_every > 0 && episode % o_.checkpoint_every == 0)
          n.save_atomically((dir / "checkpoints" / ("episode_" + padded(episode))).string(),
                            user(t, episode, score_kind));
      }
      if (!o_.quiet) progress(episode, first, last, start);
    }
    if (lead) {
      if (!o_.quiet) std::cerr << "\n";
      std::string names;
      for (const auto& t : trained_) names += (names.empty() ? "" : ", ") + t->network->name;
      std::cout << "trained " << names << " on " << o_.scenario << " for " << o_.episodes << " episodes"
                << (collective_.size() > 1 ? " x " + std::to_string(collective_.size()) + " ranks" : "")
                << " in " << std::fixed << std::setprecision(1)
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s";
      for (const auto& t : trained_) {
        std::cout << "\n  " << t->network->name << ": best "
                  << (t->network->is_supervised()
                          ? "loss "
                          : (o_.eval_every > 0 ? "evaluation return " : "training return "))
                  << std::setprecision(4) << (t->network->is_supervised() ? -t->best : t->best);
      }
      std::cout << (collective_.size() > 1
                        ? "\n(the ranks' parameters agreed bit for bit after every episode)"
                        : "")
                << "\nresults: " << o_.out << "/{<network>/{curve.csv, best/, last/, checkpoints/}, logs/}\n"
                << "evaluate: edgetwin run " << o_.scenario << " --checkpoint " << o_.out << "\n";
    }
    return 0;
  }

 private:
  /// Episodes done by the checkpoints in `resume` (a checkpoint, or a training folder's */last).
  static int episodes_done(const std::string& resume) {
    const fs::path dir(resume);
    if (fs::exists(dir / "manifest.json"))
      return learn::read_manifest(resume).value("user", nlohmann::json::object()).value("episodes", 0);
    int done = -1;
    if (fs::is_directory(dir)) {
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (!fs::exists(entry.path() / "last" / "manifest.json")) continue;
        const int e = learn::read_manifest((entry.path() / "last").string())
                          .value("user", nlohmann::json::object())
                          .value("episodes", 0);
        if (done >= 0 && e != done) {
          throw std::invalid_argument(resume +
                                      ": its networks' last checkpoints are of different episodes (" +
                                      std::to_string(done) + " and " + std::to_string(e) + ")");
        }
        done = e;
      }
    }
    if (done < 0) {
      throw std::invalid_argument(resume +
                                  ": neither a checkpoint (no manifest.json) nor a training folder "
                                  "(no <network>/last/manifest.json)");
    }
    return done;
  }

  nlohmann::json user(const Trained& t, int episode, const std::string& score_kind) const {
    const Network& n = *t.network;
    return {{"policy", n.request.policy},
            {"network", n.name},
            {"state_names", n.request.state_names},
            {"action_names", n.request.action_names},
            {"learner_spec", n.spec},
            {"scenario", o_.scenario},
            {"scenario_name", o_.scenario_name},
            {"scenario_hash", run_.value("scenario_hash", "")},
            {"edgetwin_version", run_.value("edgetwin_version", "")},
            {"episodes", episode},
            {"ranks", collective_.size()},
            {"samples", n.inputs.size()},
            {"best_return", n.is_supervised() ? nlohmann::json() : nlohmann::json(t.best)},
            {"best_loss", n.is_supervised() ? nlohmann::json(-t.best) : nlohmann::json()},
            {"best_is", score_kind}};
  }

  bool trains(const std::string& name) const {
    return o_.networks.empty() ||
           std::find(o_.networks.begin(), o_.networks.end(), name) != o_.networks.end();
  }

  Network& network_for(const policies::AgentRequest& request) {
    const std::string& name = request.network_name();
    if (const auto it = networks_.find(name); it != networks_.end()) {
      Network& n = *it->second;
      if (const auto why = spec_mismatch(n.spec, request.learner); !why.empty()) {
        throw std::invalid_argument("network '" + name + "' (policy '" + request.policy +
                                    "') asked for another learner than before: " + why);
      }
      return n;
    }
    auto n = std::make_unique<Network>();
    n->name = name;
    n->request = request;
    n->learning = trains(name);
    std::string from;
    if (n->learning && !o_.resume.empty()) {
      from = find_checkpoint({o_.resume}, name, request.policy, "last");
      if (from.empty()) {
        throw std::invalid_argument("--resume " + o_.resume + " holds no checkpoint of network '" + name +
                                    "' (policy '" + request.policy + "')");
      }
    } else if (!n->learning) {
      auto candidates = o_.checkpoints;
      if (!request.checkpoint.empty()) candidates.push_back(request.checkpoint);
      from = find_checkpoint(candidates, name, request.policy);
      if (from.empty()) {
        throw std::invalid_argument("network '" + name + "' (policy '" + request.policy +
                                    "') is not trained in this run (--network names " +
                                    common::join(o_.networks) +
                                    ") and has no checkpoint: give --checkpoint " + name +
                                    "=DIR or the policy's \"checkpoint\" parameter");
      }
    }
    if (!from.empty()) {
      n->spec = spec_from_manifest(learn::read_manifest(from));
      if (const auto why = spec_mismatch(n->spec, request.learner); !why.empty()) {
        throw std::invalid_argument("checkpoint " + from + " does not fit network '" + name +
                                    "' of policy '" + request.policy + "': " + why);
      }
    } else {
      n->spec = request.learner;
      // Ranks explore and sample their replay differently (their weights are rank 0's, see
      // Collective::attach); with --mpi-same-seeds they repeat one process exactly.
      if (collective_.rank() > 0 && !o_.mpi_same_seeds) {
        n->spec["seed"] = n->spec.value("seed", std::uint64_t{1}) +
                          1000003ULL * static_cast<std::uint64_t>(collective_.rank());
      }
    }
    n->build(from);
    if (n->learning) {
      if (collective_.size() > 1 && (n->is_supervised() || decider_for_mpi_ != nullptr)) {
        throw std::invalid_argument(
            "network '" + name +
            "': --mpi trains one decision network (DQN or SAC) per scenario; this one "
            "trains " +
            (n->is_supervised() ? std::string("a supervised network") : "a second one") +
            " (train the others in one process, or name one with --network)");
      }
      if (collective_.size() > 1) {
        decider_for_mpi_ = n->decider.get();
        collective_.attach(*n->decider);
      }
      auto t = std::make_unique<Trained>();
      t->network = n.get();
      if (collective_.rank() == 0) {
        const fs::path dir = fs::path(o_.out) / name;
        fs::create_directories(dir);
        const bool have_curve = fs::exists(dir / "curve.csv");
        t->curve.open(dir / "curve.csv", std::ios::app);
        if (!t->curve) throw std::runtime_error("cannot write " + (dir / "curve.csv").string());
        if (!have_curve) t->curve << (n->is_supervised() ? kSupervisedCurveHeader : kCurveHeader);
        if (!from.empty()) {
          const auto u = learn::read_manifest(from).value("user", nlohmann::json::object());
          if (u.contains("best_return") && u.at("best_return").is_number()) t->best = u.at("best_return");
          if (u.contains("best_loss") && u.at("best_loss").is_number())
            t->best = -u.at("best_loss").get<double>();
        }
      }
      trained_.push_back(std::move(t));
    }
    Network& ref = *n;
    networks_.emplace(name, std::move(n));
    return ref;
  }

  void write_supervised_row(Trained& t, const Episode& e, const learn::EpochStats& s) {
    const auto stats = e.stats.of(t.network->name);
    t.curve << e.episode << ',' << e.kind << ',' << e.seed << ',' << s.epoch << ','
            << t.network->inputs.size() << ',' << stats.decisions << ',' << csv_number(s.train_loss) << ','
            << csv_number(s.validation_loss) << ',' << csv_number(s.train_accuracy) << ','
            << csv_number(s.validation_accuracy) << ',' << t.network->supervised->updates() << ','
            << csv_number(e.wall_s) << '\n';
    t.curve.flush();
  }

  Episode run_episode(int episode, const std::string& kind, std::uint64_t seed) {
    const bool learning = kind == "train";
    const fs::path out(o_.out);
    const std::string rank_suffix =
        collective_.size() > 1 ? "_rank" + std::to_string(collective_.rank()) : "";
    const std::string name = kind + "_" + padded(episode) + rank_suffix;
    const std::string log = (out / "logs" / (name + ".log")).string();
    // Training episodes keep only their summary; evaluation episodes keep every output.
    const std::string run_out = learning ? (out / ("episode" + rank_suffix)).string()
                                         : (out / "eval" / ("episode_" + padded(episode))).string();
    std::vector<std::string> args{o_.edgetwin,  "run", o_.scenario, "--seed", std::to_string(seed),
                                  "--agent-fd", "3",   "--quiet",   "--out",  run_out};
    args.insert(args.end(), o_.run_args.begin(), o_.run_args.end());
    if (learning)
      args.insert(args.end(),
                  {"--set", "/outputs/requests_csv=false", "--set", "/outputs/timeline_csv=false"});

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    }
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<common::ChildProcess> child;
    try {
      child = std::make_unique<common::ChildProcess>(args, common::ChildOptions{log, true, fds[1]});
    } catch (...) {
      ::close(fds[0]);
      ::close(fds[1]);
      throw;
    }
    ::close(fds[1]);
    Episode e;
    e.episode = episode;
    e.kind = kind;
    e.seed = seed;
    std::string failure;
    // Evaluation episodes decide greedily and learn nothing, whatever the network's role.
    std::vector<std::pair<Network*, bool>> saved;
    {
      wire::Channel channel(fds[0], kind + " episode " + std::to_string(episode) + " (edgetwin run)");
      try {
        e.stats = serve(channel, [&](const policies::AgentRequest& r) -> Network& {
          Network& n = network_for(r);
          if (!learning) {
            saved.emplace_back(&n, n.learning);
            n.learning = false;
          }
          return n;
        });
      } catch (const std::exception& ex) {
        failure = ex.what();
        child->signal(SIGTERM);
      }
    }
    for (auto& [n, was] : saved) n->learning = was;
    const common::ExitStatus status = child->wait();
    e.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failure.empty() && (!status.ok() || e.stats.summary.is_null())) {
      failure = "edgetwin run ended with " + status.describe();
    }
    if (failure.empty() && learning && trained_.empty()) {
      failure =
          "no network of the run is trained" +
          (o_.networks.empty() ? std::string() : " (--network names " + common::join(o_.networks) + ")");
    }
    if (!failure.empty()) {
      throw std::runtime_error(kind + " episode " + std::to_string(episode) + " (seed " +
                               std::to_string(seed) + ") failed: " + failure + "\nits log, " + log + ":\n" +
                               tail(log, 12) +
                               (!trained_.empty() ? "the checkpoints written so far are in " + o_.out : ""));
    }
    if (run_.is_null()) run_ = e.stats.run;
    if (learning) fs::remove_all(run_out);
    return e;
  }

  void progress(int episode, int first, int last, std::chrono::steady_clock::time_point start) const {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int done = episode - first + 1;
    const double eta = elapsed / done * (last - episode);
    std::cerr << "\rtrain: episode " << episode << "/" << last;
    for (const auto& t : trained_) std::cerr << "  " << t->last_line;
    std::cerr << std::fixed << std::setprecision(0) << "  " << elapsed << " s, ETA " << eta << " s   "
              << std::flush;
  }

  const TrainOptions& o_;
  Collective& collective_;
  std::map<std::string, std::unique_ptr<Network>> networks_;
  std::vector<std::unique_ptr<Trained>> trained_;      ///< in hello order
  learn::DiscreteLearner* decider_for_mpi_ = nullptr;  ///< the one network trained under --mpi
  nlohmann::json run_;
};

}  // namespace

int train(const TrainOptions& options, Collective& collective) {
  std::signal(SIGPIPE, SIG_IGN);
  learn::use_single_torch_thread();
  Trainer trainer(options, collective);
  return trainer.run();
}

int serve_checkpoint(int fd, const std::vector<std::string>& checkpoints) {
  std::signal(SIGPIPE, SIG_IGN);
  learn::use_single_torch_thread();
  wire::Channel channel(fd, "the simulation");
  std::map<std::string, std::unique_ptr<Network>> networks;
  // Loading errors go back to the simulation as the answer to its hello.
  try {
    serve(channel, [&](const policies::AgentRequest& request) -> Network& {
      const std::string& name = request.network_name();
      if (const auto it = networks.find(name); it != networks.end()) return *it->second;
      auto candidates = checkpoints;
      if (!request.checkpoint.empty()) candidates.push_back(request.checkpoint);
      const std::string from = find_checkpoint(candidates, name, request.policy);
      if (from.empty()) {
        throw std::invalid_argument("no checkpoint of network '" + name + "' among " +
                                    common::join(candidates) +
                                    " (a checkpoint whose manifest names network '" + name +
                                    "', a training folder holding " + name + "/best, or " + name + "=DIR)");
      }
      auto n = std::make_unique<Network>();
      n->name = name;
      n->request = request;
      try {
        const auto manifest = learn::read_manifest(from);
        n->spec = spec_from_manifest(manifest);
        const auto& user = manifest.value("user", nlohmann::json::object());
        // A network fitted from a file (edgetwin train --dataset) has no policy: any policy whose
        // request fits its shape may use it (as edgetwin run's in-process evaluation allows).
        if (user.value("policy", request.policy) != request.policy &&
            !user.value("policy", std::string()).empty()) {
          throw std::invalid_argument("it is of policy '" + user.value("policy", std::string()) +
                                      "', the scenario runs '" + request.policy + "'");
        }
        if (const auto why = spec_mismatch(n->spec, request.learner); !why.empty())
          throw std::invalid_argument("it does not fit network '" + name + "' of policy '" + request.policy +
                                      "': " + why);
        n->build(from);
      } catch (const std::exception& e) {
        throw std::invalid_argument("cannot load checkpoint " + from + ": " + e.what());
      }
      return *networks.emplace(name, std::move(n)).first->second;
    });
  } catch (const std::invalid_argument&) {
    return 3;  // refused: the simulation reports the reason it was sent
  }
  return 0;
}

}  // namespace edgetwin::learn_app
