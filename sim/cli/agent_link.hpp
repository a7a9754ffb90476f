#pragma once
/// The agents of a run's learned policies (policies/agent.hpp): either the trainer's end of a
/// socket handed to `edgetwin run --agent-fd N` by `edgetwin-learn train`, or a checkpoint
/// server `edgetwin-learn serve` that this process starts for `--checkpoint` (or the policies'
/// "checkpoint" parameters). One agent per learned network, all over one connection; every device
/// whose policy names a network shares its agent (docs/learning.md, "Training in the simulation").

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/agent_wire/agent_wire.hpp"
#include "edgetwin/common/child_process.hpp"

namespace edgetwin::app {

class AgentLink {
 public:
  /// `agent_fd` >= 0: connected to a trainer; else `checkpoints` (and the policies' parameters)
  /// name what the server loads. `run` is sent in the hellos (scenario name, file, seed).
  AgentLink(int agent_fd, std::vector<std::string> checkpoints, nlohmann::json run);
  ~AgentLink();
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  /// The provider to put in RunOptions::agents.
  policies::AgentProvider provider();
  /// Sends the summary to the server (if an agent was made) and waits for a started server.
  void finish(const nlohmann::json& summary);
  bool used() const { return channel_ != nullptr; }

 private:
  std::shared_ptr<policies::Agent> get(const policies::AgentRequest& request);
  void reap();

  void connect(const policies::AgentRequest& first);

  int agent_fd_;
  std::vector<std::string> checkpoints_;
  nlohmann::json run_;
  std::shared_ptr<policies::wire::Channel> channel_;
  /// By network name; a second policy naming a network must ask for the same learner.
  std::map<std::string, std::shared_ptr<policies::wire::RemoteAgent>> agents_;
  std::unique_ptr<common::ChildProcess> server_;  ///< the checkpoint server, when started
};

}  // namespace edgetwin::app
