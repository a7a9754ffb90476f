// Agents for learned policies: the trainer's socket or a checkpoint server (agent_link.hpp).

#include "agent_link.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <vector>

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

std::shared_ptr<policies::Agent> AgentLink::get(const policies::AgentRequest& request) {
  const std::string& name = request.network_name();
  if (const auto it = agents_.find(name); it != agents_.end()) {
    const auto& first = it->second->request();
    if (request.learner != first.learner) {
      throw std::invalid_argument(
          "network '" + name + "': policy '" + request.policy + "' asks for another learner than policy '" +
          first.policy +
          "' with the same network; give one of them another \"network\" name, or the "
          "same learner parameters (docs/learning.md)");
    }
    return it->second;
  }
  if (!channel_) connect(request);
  auto agent = std::make_shared<policies::wire::RemoteAgent>(channel_, request, run_);
  agents_.emplace(name, agent);
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
