#pragma once
// Internal to the simulation core: what a serving device holds (serving.cpp): per-model queues
// with their instances, and the batches sharing its GPU.

#include <deque>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <simgrid/s4u.hpp>

#include "edgetwin/policies/decision.hpp"
#include "edgetwin/sim/scenario.hpp"
#include "edgetwin/traces/model.hpp"
#include "edgetwin/traces/serving_model.hpp"

#include "request.hpp"

namespace edgetwin::sim::detail {

/// One deployed model's queue on a serving device, with its instances.
struct ServedModel {
  const traces::Model* model = nullptr;
  std::deque<Request> queue;
  policies::BatchAction action;
  int instances = 0;  ///< live instance actors
  simgrid::s4u::MutexPtr mutex;
  simgrid::s4u::ConditionVariablePtr cv;
  double reserved_bytes = 0;  ///< memory of the instances its action asks for (docs/simulation.md)
  long capped_actions = 0;    ///< actions cut down to fit the board's memory
  // Since the last batching slot:
  long completed = 0;
  double latency_sum_s = 0;
  long slo_total = 0, slo_missed = 0;
};
/// A batch on the device GPU. It progresses at 1 / latency_s per second, where latency_s is
/// the traced latency at its batch size and the current number of running batches.
struct RunningBatch {
  const traces::Model* model = nullptr;
  int batch = 1;
  double progress = 0;   ///< share of the batch done, [0, 1]
  double latency_s = 0;  ///< at the current concurrency
  double power_w = 0;    ///< board power at the current concurrency
  std::vector<double> rails_w;
  double deadline_s = 0;    ///< finishing time if the concurrency stays as it is
  double energy_j = 0;      ///< attributed so far: attributed_w over time
  double attributed_w = 0;  ///< its share of the board power at the current rating
  int concurrency = 1;      ///< running batches when the rates were last set
  int max_concurrency = 1;
};

/// A serving device's state: its models' queues and the batches running on its GPU.
struct ServingState {
  const ServingSpec* spec = nullptr;  ///< the group's serving fields
  std::vector<std::unique_ptr<ServedModel>> models;
  std::map<long, RunningBatch> running;  ///< batches on the GPU now, by batch number
  long next_batch = 0;
  double last_reshare_s = 0;
  simgrid::s4u::ConditionVariablePtr gpu_cv;  ///< batch actors wait on it for their deadline
  /// corunner interference: GPU demand per (model, batch, clocks), computed once.
  std::map<std::tuple<const traces::Model*, int, std::int64_t, std::int64_t, std::int64_t>, traces::GpuDemand>
      demands;
};

}  // namespace edgetwin::sim::detail
