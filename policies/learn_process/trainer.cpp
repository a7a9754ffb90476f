// The training loop of `edgetwin-learn train` and the checkpoint server (trainer.hpp).

#include "trainer.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "edgetwin/common/child_process.hpp"
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

std::string csv_number(double x) {
  if (std::isnan(x)) return "";
  std::ostringstream os;
  os << std::setprecision(10) << x;
  return os.str();
}

/// One curve row: what a training or evaluation episode did.
struct CurveRow {
  int episode = 0;
  std::string kind;  // "train" or "eval"
  std::uint64_t seed = 0;
  EpisodeStats stats;
  double wall_s = 0;
  double return_mean_over_ranks = std::nan("");
  int ranks = 1;
};

const char* kCurveHeader =
    "episode,kind,seed,ranks,decisions,return,mean_reward,return_mean_over_ranks,updates,loss_mean,q_mean,"
    "epsilon,"
    "alpha,entropy,wall_s,simulated_s,sim_s_per_wall_s,requests_completed,throughput_rps,latency_p95_s,"
    "slo_violation_rate,device_energy_j,energy_per_request_j,max_cpu_temp_c,max_gpu_temp_c\n";

void write_row(std::ostream& out, const CurveRow& r) {
  const auto& s = r.stats;
  const auto& overall =
      s.summary.is_object() && s.summary.contains("overall") ? s.summary.at("overall") : nlohmann::json();
  const double sim_s = number_or_nan(s.summary, "simulated_end_s");
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

/// Writes a checkpoint to `dir` through a temporary sibling, so that `dir` always holds a whole
/// checkpoint (the old one or the new one).
void save_atomically(const learn::DiscreteLearner& learner, const fs::path& dir, const nlohmann::json& user) {
  const fs::path tmp = dir.string() + ".writing";
  const fs::path old = dir.string() + ".old";
  fs::remove_all(tmp);
  learner.save(tmp.string(), user);
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old);
}

class Trainer {
 public:
  Trainer(const TrainOptions& o, Collective& c) : o_(o), collective_(c) {}

  int run() {
    const bool lead = collective_.rank() == 0;
    const fs::path out(o_.out);
    int first = 1;
    if (!o_.resume.empty()) {
      resume_manifest_ = learn::read_manifest(o_.resume);
      const auto& user = resume_manifest_.value("user", nlohmann::json::object());
      first = user.value("episodes", 0) + 1;
      if (user.value("policy", o_.policy) != o_.policy) {
        throw std::invalid_argument(o_.resume + "/manifest.json: /user/policy: a checkpoint of policy '" +
                                    user.value("policy", std::string()) + "', the scenario trains '" +
                                    o_.policy + "'");
      }
      best_ = user.value("best_return", -std::numeric_limits<double>::infinity());
    }
    if (lead) {
      fs::create_directories(out / "logs");
      const bool have_curve = fs::exists(out / "curve.csv");
      if (have_curve && o_.resume.empty()) {
        throw std::invalid_argument(o_.out +
                                    ": already holds a training run (curve.csv); continue it with --resume " +
                                    (out / "last").string() + ", or choose another --out");
      }
      curve_.open(out / "curve.csv", std::ios::app);
      if (!curve_) throw std::runtime_error("cannot write " + (out / "curve.csv").string());
      if (!have_curve) curve_ << kCurveHeader;
    } else {
      fs::create_directories(out / "logs");
    }
    const auto start = std::chrono::steady_clock::now();
    const int last = first + o_.episodes - 1;
    for (int episode = first; episode <= last; ++episode) {
      const std::uint64_t seed =
          o_.seed + static_cast<std::uint64_t>(episode) +
          (o_.mpi_same_seeds ? 0 : 1000003ULL * static_cast<std::uint64_t>(collective_.rank()));
      CurveRow row = run_episode(episode, "train", seed, true);
      collective_.drain(*learner_);
      if (const int differing = collective_.ranks_differing(*learner_); differing > 0) {
        throw std::logic_error(
            "after episode " + std::to_string(episode) + ", " + std::to_string(differing) +
            " rank(s) hold parameters that differ from rank 0's (a bug: please report it)");
      }
      std::vector<double> sums{row.stats.reward_sum};
      collective_.sum(sums);
      row.ranks = collective_.size();
      row.return_mean_over_ranks = sums[0] / collective_.size();
      if (!lead) continue;
      write_row(curve_, row);
      double score = row.return_mean_over_ranks;
      std::string score_kind = "training return";
      if (o_.eval_every > 0 && (episode % o_.eval_every == 0 || episode == last)) {
        CurveRow eval = run_episode(episode, "eval", o_.eval_seed, false);
        eval.ranks = 1;
        eval.return_mean_over_ranks = eval.stats.reward_sum;
        write_row(curve_, eval);
        score = eval.stats.reward_sum;
        score_kind = "evaluation return";
        last_eval_ = score;
      }
      const bool scored = o_.eval_every == 0 || episode % o_.eval_every == 0 || episode == last;
      if (scored && score > best_) {
        best_ = score;
        save_atomically(*learner_, out / "best", user(episode, score_kind));
      }
      save_atomically(*learner_, out / "last", user(episode, score_kind));
      if (o_.checkpoint_every > 0 && episode % o_.checkpoint_every == 0) {
        save_atomically(*learner_, out / "checkpoints" / ("episode_" + padded(episode)),
                        user(episode, score_kind));
      }
      if (!o_.quiet) progress(episode, first, last, row, start);
    }
    if (lead) {
      if (!o_.quiet) std::cerr << "\n";
      std::cout << "trained '" << o_.policy << "' on " << o_.scenario << " for " << o_.episodes << " episodes"
                << (collective_.size() > 1 ? " x " + std::to_string(collective_.size()) + " ranks" : "")
                << " in " << std::fixed << std::setprecision(1)
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                << " s: best " << (o_.eval_every > 0 ? "evaluation" : "training") << " return "
                << std::setprecision(2) << best_
                << (collective_.size() > 1 ? " (the ranks' parameters agreed bit for bit after every episode)"
                                           : "")
                << "\nresults: " << o_.out << "/{curve.csv, best/, last/, checkpoints/, logs/}\n"
                << "evaluate: edgetwin run " << o_.scenario << " --checkpoint " << (out / "best").string()
                << "\n";
    }
    return 0;
  }

 private:
  nlohmann::json user(int episode, const std::string& score_kind) const {
    return {{"policy", o_.policy},
            {"state_names", request_.state_names},
            {"action_names", request_.action_names},
            {"learner_spec", spec_},
            {"scenario", o_.scenario},
            {"scenario_name", o_.scenario_name},
            {"scenario_hash", run_.value("scenario_hash", "")},
            {"edgetwin_version", run_.value("edgetwin_version", "")},
            {"episodes", episode},
            {"ranks", collective_.size()},
            {"best_return", best_},
            {"best_is", score_kind}};
  }

  learn::DiscreteLearner& learner_for(const policies::AgentRequest& request) {
    if (request.policy != o_.policy) {
      throw std::invalid_argument("the trainer trains policy '" + o_.policy + "', the run asks for '" +
                                  request.policy + "'");
    }
    if (!learner_) {
      if (!o_.resume.empty()) {
        spec_ = spec_from_manifest(resume_manifest_);
        if (const auto why = spec_mismatch(spec_, request.learner); !why.empty()) {
          throw std::invalid_argument("checkpoint " + o_.resume + " does not fit policy '" + request.policy +
                                      "': " + why);
        }
        learner_ = learn::make_learner(spec_);
        learner_->load(o_.resume);
      } else {
        spec_ = request.learner;
        // Ranks explore and sample their replay differently (their weights are rank 0's, see
        // Collective::attach); with --mpi-same-seeds they repeat one process exactly.
        auto spec = spec_;
        if (collective_.rank() > 0 && !o_.mpi_same_seeds) {
          spec["seed"] = spec.value("seed", std::uint64_t{1}) +
                         1000003ULL * static_cast<std::uint64_t>(collective_.rank());
        }
        learner_ = learn::make_learner(spec);
      }
      request_ = request;
      collective_.attach(*learner_);
    } else if (const auto why = spec_mismatch(spec_, request.learner); !why.empty()) {
      throw std::invalid_argument("policy '" + request.policy +
                                  "' changed its learner between episodes: " + why);
    }
    return *learner_;
  }

  CurveRow run_episode(int episode, const std::string& kind, std::uint64_t seed, bool learning) {
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
    CurveRow row;
    row.episode = episode;
    row.kind = kind;
    row.seed = seed;
    std::string failure;
    {
      wire::Channel channel(fds[0], kind + " episode " + std::to_string(episode) + " (edgetwin run)");
      try {
        row.stats = serve(
            channel, learning,
            [this](const policies::AgentRequest& r) -> learn::DiscreteLearner& { return learner_for(r); });
      } catch (const std::exception& e) {
        failure = e.what();
        child->signal(SIGTERM);
      }
    }
    const common::ExitStatus status = child->wait();
    row.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failure.empty() && (!status.ok() || row.stats.summary.is_null())) {
      failure = "edgetwin run ended with " + status.describe();
    }
    if (!failure.empty()) {
      throw std::runtime_error(kind + " episode " + std::to_string(episode) + " (seed " +
                               std::to_string(seed) + ") failed: " + failure + "\nits log, " + log + ":\n" +
                               tail(log, 12) +
                               (learner_ ? "the checkpoints written so far are in " + o_.out : ""));
    }
    if (run_.is_null()) run_ = row.stats.hello.value("run", nlohmann::json::object());
    if (learner_ && learner_->kind() == "dqn")
      row.stats.epsilon = static_cast<learn::DqnLearner&>(*learner_).epsilon();
    if (learning) fs::remove_all(run_out);
    return row;
  }

  void progress(int episode, int first, int last, const CurveRow& row,
                std::chrono::steady_clock::time_point start) const {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int done = episode - first + 1;
    const double eta = elapsed / done * (last - episode);
    std::cerr << "\rtrain " << o_.policy << ": episode " << episode << "/" << last << std::fixed
              << std::setprecision(2) << "  return " << row.return_mean_over_ranks;
    if (!std::isnan(last_eval_)) std::cerr << "  eval " << last_eval_;
    if (learner_->kind() == "dqn")
      std::cerr << "  epsilon " << row.stats.epsilon;
    else
      std::cerr << "  alpha " << row.stats.alpha;
    std::cerr << "  updates " << learner_->counters().updates << std::setprecision(0) << "  " << elapsed
              << " s, ETA " << eta << " s   " << std::flush;
  }

  const TrainOptions& o_;
  Collective& collective_;
  std::unique_ptr<learn::DiscreteLearner> learner_;
  nlohmann::json spec_;
  nlohmann::json resume_manifest_;  ///< of --resume, read once in run()
  policies::AgentRequest request_;
  nlohmann::json run_;
  std::ofstream curve_;
  double best_ = -std::numeric_limits<double>::infinity();
  double last_eval_ = std::nan("");
};

}  // namespace

int train(const TrainOptions& options, Collective& collective) {
  std::signal(SIGPIPE, SIG_IGN);
  learn::use_single_torch_thread();
  Trainer trainer(options, collective);
  return trainer.run();
}

int serve_checkpoint(int fd, const std::string& checkpoint) {
  std::signal(SIGPIPE, SIG_IGN);
  learn::use_single_torch_thread();
  wire::Channel channel(fd, "the simulation");
  // Loading errors go back to the simulation as the answer to its hello.
  std::unique_ptr<learn::DiscreteLearner> learner;
  nlohmann::json spec, manifest;
  std::string error;
  try {
    manifest = learn::read_manifest(checkpoint);
    spec = spec_from_manifest(manifest);
    learner = learn::make_learner(spec);
    learner->load(checkpoint);
  } catch (const std::exception& e) {
    error = std::string("cannot load checkpoint ") + checkpoint + ": " + e.what();
  }
  try {
    serve(channel, false, [&](const policies::AgentRequest& request) -> learn::DiscreteLearner& {
      if (!error.empty()) throw std::invalid_argument(error);
      const auto& user = manifest.value("user", nlohmann::json::object());
      if (user.value("policy", request.policy) != request.policy) {
        throw std::invalid_argument("checkpoint " + checkpoint + " is of policy '" +
                                    user.value("policy", std::string()) + "', the scenario runs '" +
                                    request.policy + "'");
      }
      if (const auto why = spec_mismatch(spec, request.learner); !why.empty()) {
        throw std::invalid_argument("checkpoint " + checkpoint + " does not fit policy '" + request.policy +
                                    "': " + why);
      }
      return *learner;
    });
  } catch (const std::invalid_argument&) {
    return 3;  // refused: the simulation reports the reason it was sent
  }
  return 0;
}

}  // namespace edgetwin::learn_app
