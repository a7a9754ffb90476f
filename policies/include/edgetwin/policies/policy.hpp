#pragma once
/// Policy base class and the explicit policy registry (`edgetwin list policies`).
/// Semantics of every built-in policy: docs/policies.md.

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/agent.hpp"
#include "edgetwin/policies/decision.hpp"

namespace edgetwin::policies {

/// A policy parameter that is not allowed. `who` names the policy ("policy 'fixed_batching'"),
/// `key` the parameter's path inside the policy's params, '/'-separated ("batch_size",
/// "cpu_params/up_threshold"; "" for the params object itself), `reason` what was found and what
/// is allowed. The simulator turns it into a DataError at the scenario's JSON pointer
/// (.../policies/ROLE/params/KEY).
class ParamError : public std::invalid_argument {
 public:
  ParamError(std::string who, std::string key, std::string reason);
  const std::string& who() const { return who_; }
  const std::string& key() const { return key_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string who_;
  std::string key_;
  std::string reason_;
};

/// A decision maker for one device. Called synchronously by the simulator (simulated time is
/// frozen during the call) or by the board agent. Hooks a policy does not use keep the defaults.
class Policy {
 public:
  virtual ~Policy() = default;
  /// Clocks to apply once when the device starts, before any frame or tick (clocks role);
  /// nullopt = leave the device at its boot clocks. Does not advance simulated time.
  virtual std::optional<Clocks> initial_clocks() const { return std::nullopt; }
  /// At each frame/request arrival; fills the fields of the role(s) this policy plays. Called
  /// once per frame whatever the number of roles the policy plays.
  virtual FrameAction on_frame(const FrameObservation& obs);
  /// At each checkpoint the frame's action asked for (FrameAction::checkpoints).
  virtual UnitAction on_unit(const UnitObservation& obs);
  /// True when the policy wants on_outcome calls (asked once, before the run): the device then
  /// keeps what each request's outcome needs. Policies that say false cost nothing.
  virtual bool wants_outcomes() const { return false; }
  /// The outcome of a request this policy decided (or of one dropped at its device's arrival).
  virtual void on_outcome(const Outcome& /*outcome*/) {}
  /// Period of on_tick in simulated seconds; 0 = the policy has no ticks.
  virtual double tick_period_s() const { return 0; }
  /// Every tick_period_s(); `obs` averages the period that just ended.
  virtual TickAction on_tick(const TickObservation& obs);
  /// Period of on_batch in simulated seconds; 0 = decide once, at the start (batching role).
  virtual double batch_slot_s() const { return 0; }
  /// At the start and every batch_slot_s(), for each model of a serving device (batching role).
  virtual BatchAction on_batch(const BatchObservation& obs);
  /// True when decisions depend on calls made for other devices (a learner shared by several
  /// devices): such devices stay off the local-time fast path, whose call order across devices
  /// differs from the engine's.
  virtual bool shares_state() const { return false; }
};

/// A documented policy parameter.
struct ParamInfo {
  std::string name;          ///< e.g. "up_threshold"
  std::string default_json;  ///< default as JSON text, e.g. "0.8"
  std::string doc;           ///< meaning and unit
};

/// Everything the context of a device gives a policy at construction.
struct PolicyContext {
  const traces::Board* board = nullptr;
  int power_mode = -1;  ///< nvpmodel mode id of the device; -1 = the board's default mode
  /// Models deployed on the device (may be empty); policies that name units check them here.
  std::vector<const traces::Model*> models;
  int device = 0;
  std::uint64_t seed = 0;
  /// Agents for learned policies (PolicyInfo::learned); empty when the caller runs none.
  AgentProvider agents;
};

struct PolicyInfo {
  std::string name;         ///< e.g. "ondemand"
  std::vector<Role> roles;  ///< roles it can play
  std::string summary;
  std::vector<ParamInfo> params;
  /// Builds an instance; `params` (an object, or null for all defaults) is validated against
  /// `params`: unknown keys, wrong types and out-of-range values throw std::invalid_argument
  /// naming the policy, the key and what is allowed.
  std::function<std::unique_ptr<Policy>(const nlohmann::json& params, const PolicyContext& ctx)> make;
  /// Decides through a learned agent (PolicyContext::agents): `edgetwin run` needs a checkpoint
  /// (`--checkpoint DIR` or the policy's `checkpoint` parameter) and `edgetwin train` trains it.
  bool learned = false;

  bool plays(Role role) const;
};

/// Explicit registry: register_builtin_policies() adds every built-in policy; nothing registers
/// itself behind the reader's back.
class PolicyRegistry {
 public:
  void add(PolicyInfo info);                             ///< throws std::invalid_argument on a duplicate name
  const PolicyInfo& get(const std::string& name) const;  ///< throws, listing known names
  bool has(const std::string& name) const;
  const std::vector<PolicyInfo>& all() const { return infos_; }
  /// get(name).make(params, ctx), after checking that the policy can play `role` (throws
  /// std::invalid_argument listing the policies that can).
  std::unique_ptr<Policy> create(Role role, const std::string& name, const nlohmann::json& params,
                                 const PolicyContext& ctx) const;
  /// The same for a policy that plays all of `roles` in one instance.
  std::unique_ptr<Policy> create(const std::vector<Role>& roles, const std::string& name,
                                 const nlohmann::json& params, const PolicyContext& ctx) const;

 private:
  std::vector<PolicyInfo> infos_;
};

/// Adds the baselines: max_clocks, fixed_clocks, ondemand, schedutil, podgov, governors, ztt
/// (learned), edge_only, cloud_only, fixed_split, neurosurgeon, confidence_exit, fixed_batching.
void register_builtin_policies(PolicyRegistry& registry);

}  // namespace edgetwin::policies
