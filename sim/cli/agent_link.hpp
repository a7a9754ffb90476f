#pragma once
/// The agents of a run's learned policies (policies/agent.hpp): either the trainer's end of a
/// socket handed to `edgetwin run --agent-fd N` by `edgetwin-learn train`, or a checkpoint
/// server `edgetwin-learn serve` that this process starts for `--checkpoint DIR` (or the policy's
/// "checkpoint" parameter). One learned policy per scenario; every device running it shares one
/// agent (docs/learning.md, "Training in the simulation").

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "edgetwin/agent_wire/agent_wire.hpp"
#include "edgetwin/common/child_process.hpp"

namespace edgetwin::app {

class AgentLink {
 public:
  /// `agent_fd` >= 0: connected to a trainer; else `checkpoint` ("" = the policy's parameter)
  /// names what the server loads. `run` is sent in the hello (scenario name, file, seed).
  AgentLink(int agent_fd, std::string checkpoint, nlohmann::json run);
  ~AgentLink();
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  /// The provider to put in RunOptions::agents.
  policies::AgentProvider provider();
  /// Sends the summary to the server (if an agent was made) and waits for a started server.
  void finish(const nlohmann::json& summary);
  bool used() const { return agent_ != nullptr; }

 private:
  std::shared_ptr<policies::Agent> get(const policies::AgentRequest& request);
  void reap();

  int agent_fd_;
  std::string checkpoint_;
  nlohmann::json run_;
  std::shared_ptr<policies::wire::RemoteAgent> agent_;
  nlohmann::json learner_;  ///< the spec of the agent made, to refuse a second, different one
  std::unique_ptr<common::ChildProcess> server_;  ///< the checkpoint server, when started
};

}  // namespace edgetwin::app
