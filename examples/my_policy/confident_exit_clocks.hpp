#pragma once
// A second example policy (docs/policies.md, "Write your own policy", "A policy for several roles"):
// one instance plays the exit and clocks roles, stops a frame at the first exit head that is
// confident enough (checkpoints after units), picks its GPU clock from probes of the device, and
// adapts its confidence threshold from the outcomes of the frames it decided.

#include "edgetwin/policies/policy.hpp"

namespace my_policy {

/// The registry entry of "confident_exit_clocks" (roles exit and clocks).
edgetwin::policies::PolicyInfo confident_exit_clocks_info();

}  // namespace my_policy
