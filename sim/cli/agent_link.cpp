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

AgentLink::AgentLink(int agent_fd, std::string checkpoint, nlohmann::json run)
    : agent_fd_(agent_fd), checkpoint_(std::move(checkpoint)), run_(std::move(run)) {
  // A server that exits early must surface as an error message, not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
}

AgentLink::~AgentLink() {
  agent_.reset();  // closes our end: a server still running sees the end of the stream and exits
  reap();
}

policies::AgentProvider AgentLink::provider() {
  return [this](const policies::AgentRequest& request) { return get(request); };
}

std::shared_ptr<policies::Agent> AgentLink::get(const policies::AgentRequest& request) {
  if (agent_) {
    if (request.policy != agent_->request().policy || request.learner != learner_) {
      throw std::invalid_argument(
          "policy '" + request.policy +
          "': one learned policy (with one set of learner parameters) per scenario; this "
          "scenario also runs '" +
          agent_->request().policy + "' with different parameters (docs/learning.md)");
    }
    return agent_;
  }
  std::shared_ptr<policies::wire::Channel> channel;
  if (agent_fd_ >= 0) {
    channel = std::make_shared<policies::wire::Channel>(
        agent_fd_, "the trainer (--agent-fd " + std::to_string(agent_fd_) + ")");
    agent_fd_ = -1;  // owned by the channel now
  } else {
    const std::string checkpoint = !checkpoint_.empty() ? checkpoint_ : request.checkpoint;
    if (checkpoint.empty()) {
      throw std::invalid_argument("policy '" + request.policy +
                                  "' is learned and has no checkpoint: give `--checkpoint DIR` (a directory "
                                  "written by `edgetwin train`) or the policy parameter \"checkpoint\"");
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    }
    const std::string tool = tool_path("edgetwin-learn").string();
    // The server's end becomes the child's fd 3; ours stays close-on-exec.
    try {
      server_ = std::make_unique<common::ChildProcess>(
          std::vector<std::string>{tool, "serve", "--fd", "3", "--checkpoint", checkpoint},
          common::ChildOptions{"", false, fds[1]});
    } catch (...) {
      ::close(fds[0]);
      ::close(fds[1]);
      throw;
    }
    ::close(fds[1]);
    channel = std::make_shared<policies::wire::Channel>(fds[0], "the checkpoint server (" + tool + " serve)");
  }
  agent_ = std::make_shared<policies::wire::RemoteAgent>(channel, request, run_);
  learner_ = request.learner;
  return agent_;
}

void AgentLink::finish(const nlohmann::json& summary) {
  if (agent_) agent_->end(summary);
  agent_.reset();
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
