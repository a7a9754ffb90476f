#pragma once
// An example policy written against EdgeTwin's public headers (docs/policies.md, "Write your own
// policy"): the GPU runs slow while the device keeps up and at full speed once requests queue.

#include "edgetwin/policies/policy.hpp"

namespace my_policy {

/// The registry entry of "queue_aware_clocks": its name, role, documented parameters and factory.
edgetwin::policies::PolicyInfo queue_aware_clocks_info();

}  // namespace my_policy
