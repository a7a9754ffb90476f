// Agents for learned policies: the trainer's socket or a checkpoint server (agent_link.hpp).

#include "agent_link.hpp"

#include "cli.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sys/socket.h>
#include <sys/wait.h>
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
    const std::string tool = beside_self("edgetwin-learn").string();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      // Child: the server's end becomes fd 3 (dup2 clears close-on-exec).
      ::dup2(fds[1], 3);
      std::vector<std::string> args{tool, "serve", "--fd", "3", "--checkpoint", checkpoint};
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(tool.c_str(), argv.data());
      const std::string message =
          "error: cannot run " + tool + ": " + std::strerror(errno) + " (build the edgetwin-learn target)\n";
      (void)!::write(2, message.data(), message.size());
      ::_exit(127);
    }
    ::close(fds[1]);
    server_ = pid;
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
  if (server_ > 0) {
    int status = 0;
    while (::waitpid(server_, &status, 0) < 0 && errno == EINTR) {
    }
    server_ = -1;
  }
}

}  // namespace edgetwin::app
