#pragma once
/// The agents of a run's learned policies (policies/agent.hpp): either the trainer's end of a
/// socket handed to `edgetwin run --agent-fd N` by `edgetwin-learn train`, or a checkpoint
/// server `edgetwin-learn serve` that this process starts for `--checkpoint` (or the policies'
/// "checkpoint" parameters). One agent per learned network, all over one connection; every device
/// whose policy names a network shares its agent (docs/learning.md, "Several networks in one scenario").

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
  /// Evaluate checkpoints in this process (greedy.json, no libtorch) when they allow it (the
  /// default); false: always through the checkpoint server `edgetwin-learn serve`.
  void set_torch_free(bool torch_free) { torch_free_ = torch_free; }
  /// How many networks were evaluated torch-free / through the server.
  int local_networks() const { return local_; }
  ~AgentLink();
  AgentLink(const AgentLink&) = delete;
  AgentLink& operator=(const AgentLink&) = delete;

  /// The provider to put in RunOptions::agents.
  policies::AgentProvider provider();
  /// Sends the summary to the server (if an agent was made) and waits for a started server.
  void finish(const nlohmann::json& summary);
  bool used() const { return channel_ != nullptr || local_ > 0; }

 private:
  std::shared_ptr<policies::Agent> get(const policies::AgentRequest& request);
  void reap();

  void connect(const policies::AgentRequest& first);
  /// The torch-free agent for an evaluation request, or nullptr when the server must serve it.
  std::shared_ptr<policies::Agent> local_agent(const policies::AgentRequest& request);

  int agent_fd_;
  std::vector<std::string> checkpoints_;
  nlohmann::json run_;
  std::shared_ptr<policies::wire::Channel> channel_;
  /// By network name; a second policy naming a network must ask for the same learner.
  std::map<std::string, std::shared_ptr<policies::Agent>> agents_;
  std::map<std::string, policies::AgentRequest> requests_;  ///< the first request of each network
  bool torch_free_ = true;
  int local_ = 0;
  std::unique_ptr<common::ChildProcess> server_;  ///< the checkpoint server, when started
};

}  // namespace edgetwin::app
