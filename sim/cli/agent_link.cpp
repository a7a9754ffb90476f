// Agents for learned policies: the trainer's socket or a checkpoint server (agent_link.hpp).

#include "agent_link.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "edgetwin/agent_wire/local_agent.hpp"

#include "cli.hpp"
#include "tools.hpp"
#include <sys/socket.h>
#include <unistd.h>

namespace edgetwin::app {

AgentLink::AgentLink(int agent_fd, std::vector<std::string> checkpoints, nlohmann::json run)
    : agent_fd_(agent_fd), checkpoints_(std::move(checkpoints)), run_(std::move(run)) {
  // A server that exits early must surface as an error message, not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
}

AgentLink::~AgentLink() {
  agents_.clear();
  channel_.reset();  // closes our end: a server still running sees the end of the stream and exits
  reap();
}

policies::AgentProvider AgentLink::provider() {
  return [this](const policies::AgentRequest& request) { return get(request); };
}

void AgentLink::connect(const policies::AgentRequest& first) {
  if (agent_fd_ >= 0) {
    channel_ = std::make_shared<policies::wire::Channel>(
        agent_fd_, "the trainer (--agent-fd " + std::to_string(agent_fd_) + ")");
    agent_fd_ = -1;  // owned by the channel now
    return;
  }
  if (checkpoints_.empty() && first.checkpoint.empty()) {
    throw std::invalid_argument("policy '" + first.policy + "' is learned (network '" + first.network_name() +
                                "') and has no checkpoint: give `--checkpoint DIR` (a folder written by "
                                "`edgetwin train`, or one network's checkpoint) or the policy parameter "
                                "\"checkpoint\"");
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  }
  const std::string tool = tool_path("edgetwin-learn").string();
  std::vector<std::string> args{tool, "serve", "--fd", "3"};
  for (const auto& c : checkpoints_) args.insert(args.end(), {"--checkpoint", c});
  // The server's end becomes the child's fd 3; ours stays close-on-exec.
  try {
    server_ = std::make_unique<common::ChildProcess>(args, common::ChildOptions{"", false, fds[1]});
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  channel_ = std::make_shared<policies::wire::Channel>(fds[0], "the checkpoint server (" + tool + " serve)");
}

std::shared_ptr<policies::Agent> AgentLink::local_agent(const policies::AgentRequest& request) {
  if (!torch_free_ || agent_fd_ >= 0) return nullptr;
  auto candidates = checkpoints_;
  if (!request.checkpoint.empty()) candidates.push_back(request.checkpoint);
  const std::string& name = request.network_name();
  const std::string from = policies::find_checkpoint(candidates, name, request.policy);
  // Nothing found, or a checkpoint without greedy.json (written before torch-free evaluation):
  // the server gives the same message or serves it.
  if (from.empty() || !std::filesystem::exists(std::filesystem::path(from) / "greedy.json")) return nullptr;
  std::ifstream in(std::filesystem::path(from) / "manifest.json");
  const auto manifest = nlohmann::json::parse(in, nullptr, false);
  const auto user =
      manifest.is_object() ? manifest.value("user", nlohmann::json::object()) : nlohmann::json::object();
  std::string why;
  if (user.value("policy", request.policy) != request.policy &&
      !user.value("policy", std::string()).empty()) {
    why = "it is of policy '" + user.value("policy", std::string()) + "', the scenario runs '" +
          request.policy + "'";
  }
  auto network = std::make_shared<policies::GreedyNetwork>(policies::GreedyNetwork::load(from));
  if (why.empty()) why = network->mismatch(request.learner);
  if (!why.empty()) {
    throw std::invalid_argument("cannot load checkpoint " + from + ": it does not fit network '" + name +
                                "' of policy '" + request.policy + "': " + why);
  }
  ++local_;
  return std::make_shared<policies::LocalAgent>(std::move(network));
}

std::shared_ptr<policies::Agent> AgentLink::get(const policies::AgentRequest& request) {
  const std::string& name = request.network_name();
  if (const auto it = agents_.find(name); it != agents_.end()) {
    const auto& first = requests_.at(name);
    if (request.learner != first.learner) {
      throw std::invalid_argument(
          "network '" + name + "': policy '" + request.policy + "' asks for another learner than policy '" +
          first.policy +
          "' with the same network; give one of them another \"network\" name, or the "
          "same learner parameters (docs/learning.md)");
    }
    return it->second;
  }
  std::shared_ptr<policies::Agent> agent = local_agent(request);
  if (!agent) {
    if (!channel_) connect(request);
    agent = std::make_shared<policies::wire::RemoteAgent>(channel_, request, run_);
  }
  agents_.emplace(name, agent);
  requests_.emplace(name, request);
  return agent;
}

void AgentLink::finish(const nlohmann::json& summary) {
  if (channel_) policies::wire::send_end(*channel_, summary);
  agents_.clear();
  channel_.reset();
  reap();
}

void AgentLink::reap() {
  if (agent_fd_ >= 0) {
    ::close(agent_fd_);
    agent_fd_ = -1;
  }
  if (server_) {
    server_->wait();
    server_.reset();
  }
}

}  // namespace edgetwin::app
