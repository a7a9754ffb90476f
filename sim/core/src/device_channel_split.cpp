// DVFO's channel split (docs/simulation.md, "Channel split"): after the split unit the device
// codes and uploads the offloaded share of the feature map's channels, then continues the model on
// the kept channels while the cloud runs the rest on the offloaded ones; the request ends at the
// fusion of both results, after the later branch (Device::offload with a SplitJoin).

#include <algorithm>

#include "world.hpp"

namespace edgetwin::sim::detail {

double Device::run_scaled(const traces::Model& model, int first, int last,
                          const std::vector<policies::ClockSegment>& segments, double factor,
                          RequestRecord& record) {
  double energy = 0;
  int i = first;
  while (i <= last) {
    // The clocks of unit i (the frame's segment, else a governor's pending choice, else the
    // current ones) hold until the next segment starts.
    const policies::ClockSegment* seg = nullptr;
    int end = last;
    for (const auto& s : segments) {
      if (s.first_unit <= i) seg = &s;
      if (s.first_unit > i) end = std::min(end, s.first_unit - 1);
    }
    policies::Clocks target = seg != nullptr ? seg->clocks : has_pending_ ? pending_ : clocks_;
    if (has_pending_ && target == pending_) has_pending_ = false;
    if (target != clocks_) apply_clocks(target, &record);
    RunSums run = run_sums(model, i, end);
    if (run.latency_s > 0 && factor > 0) {
      run.latency_s *= factor;
      run.energy_j *= factor;
      for (auto& r : run.rail_j) r *= factor;
      run_busy(run);
      energy += run.energy_j;
    }
    i = end + 1;
  }
  return energy;
}

void Device::split_offload(const Request& request, RequestRecord& record,
                           const std::vector<policies::ClockSegment>& segments, int edge_units, int last,
                           double share) {
  const auto& split = world_.spec.groups[static_cast<std::size_t>(group_)].channel_split;
  const traces::Model& model = *request.model;
  const double elements =
      static_cast<double>(model.units[static_cast<std::size_t>(edge_units - 1)].boundary_elements);
  record.offload_bytes = split.coded_bytes(elements, share);
  // The codec (quantisation and entropy coding of the offloaded channels) runs on one CPU core
  // before the upload can start.
  const double encode_s = elements * share * split.encode_s_per_melement * 1e-6;
  if (encode_s > 0) charge_cpu_work(encode_s, cpu_busy_power_w(), record);
  // On the fast path the engine first catches up: the upload shares links and the cloud's queue.
  if (fast_.enabled) sync_engine();
  auto join = std::make_shared<SplitJoin>();
  join->device_done = sg4::Semaphore::create(0);
  ++uploads_in_flight_;
  if (!outcome_policies_.empty()) ++outcomes_in_flight_;
  const double cloud_scale = split.compute_scale(share);
  OffloadJob job;
  job.device = this;
  job.request = request;
  job.record = record;
  job.first_unit = edge_units;
  job.last_unit = last;
  job.bytes = record.offload_bytes;
  job.cloud_scale = cloud_scale;
  job.join = join;
  world_.offloads.submit(std::move(job), host_);
  // The device's branch: the same units on the kept channels, meanwhile.
  RequestRecord branch;
  const double kept = 1.0 - share;
  if (kept > 0) {
    branch.energy_j += run_scaled(model, edge_units, last, segments, split.compute_scale(kept), branch);
    join->fusion_s = split.fusion_s;
    join->fusion_j = split.fusion_s * (cpu_busy_power_w() - idle_power_w());
  }
  join->device_end_s = now();
  join->device_energy_j = branch.energy_j;
  join->device_done->release();
}

}  // namespace edgetwin::sim::detail
