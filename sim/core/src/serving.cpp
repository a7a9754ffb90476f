// Serving devices (BCEdge's setting): requests wait in one queue per deployed model; the batching
// policy sets each model's batch size, batching delay and number of concurrent instances per slot;
// each instance is an actor that takes a batch and runs the whole model on the device's GPU host.
//
// Concurrency on one GPU (docs/architecture.md, "Design rules"): batches share the device GPU as a
// processor-sharing fluid. While k batches run, each progresses at 1 / L(b, k) per second, L being
// the trace's whole-model latency at its batch size b and concurrency k (the samples say how much
// slower each of k side-by-side instances runs). Whenever a batch starts or ends, or the clocks
// change, every running batch is advanced at its old rate and re-rated at the new k; its actor
// waits (SimGrid condition variable with a deadline) until its projected end. SimGrid's own
// max-min sharing of a host cannot express this: it splits a fixed host speed, whereas k traced
// instances deliver more than one instance's throughput (the GPU is under-used at batch 1), and
// an Exec's bound cannot change once started in 3.32 (docs/simulation.md, "Serving devices").
// Energy: the trace power at (b, k) is the board's power with k instances running; the meter
// follows the mean over the running batches (so it stays within the traced envelope), and each
// batch is attributed its power / k over time, split evenly over its requests.

#include <algorithm>
#include <cmath>
#include <limits>

#include "world.hpp"

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(edgetwin_serving, edgetwin, "EdgeTwin serving devices (batching)");

namespace edgetwin::sim::detail {

std::vector<std::pair<std::string, long>> Device::memory_capped_actions() const {
  std::vector<std::pair<std::string, long>> out;
  for (const auto& m : serving_.models) out.emplace_back(m->model->id, m->capped_actions);
  return out;
}

ServedModel* Device::served(const traces::Model* model) {
  for (auto& m : serving_.models) {
    if (m->model == model) return m.get();
  }
  throw std::logic_error("device " + std::to_string(index_) + " received a request for model " + model->id +
                         ", which its group does not deploy");
}

void Device::start_serving() {
  serving_.spec = &world_.spec.groups[static_cast<std::size_t>(group_)].serving;
  for (const auto& id : world_.spec.groups[static_cast<std::size_t>(group_)].models) {
    auto m = std::make_unique<ServedModel>();
    m->model = &world_.catalog.model(id);
    m->mutex = sg4::Mutex::create();
    m->cv = sg4::ConditionVariable::create();
    m->action.instances = 0;  // the first decision loads them
    serving_.models.push_back(std::move(m));
  }
  for (auto& m : serving_.models) batching_decision(*m, 0, 0);
  serving_.gpu_cv = sg4::ConditionVariable::create();
  auto& policy = *policy_[static_cast<int>(policies::Role::batching)];
  if (policy.batch_slot_s() > 0) {
    sg4::Actor::create("batching-" + std::to_string(index_), host_, [this] {
      run_batching_slots();
    })->daemonize();
  }
}

void Device::run_batching_slots() {
  const double slot = policy_[static_cast<int>(policies::Role::batching)]->batch_slot_s();
  double last_j = 0;
  for (long k = 1;; ++k) {
    sg4::this_actor::sleep_until(static_cast<double>(k) * slot);
    meter_.advance(sg4::Engine::get_clock());
    const double slot_j = meter_.total_j() - last_j;
    last_j = meter_.total_j();
    for (auto& m : serving_.models) batching_decision(*m, slot, slot_j);
  }
}

void Device::batching_decision(ServedModel& m, double slot_s, double slot_energy_j) {
  policies::BatchObservation obs;
  obs.now_s = sg4::Engine::get_clock();
  obs.slot_s = slot_s;
  obs.device = index_;
  obs.board = &board_;
  obs.model = m.model;
  obs.clocks = clocks_;
  expire(m);
  obs.queued = static_cast<int>(m.queue.size());
  if (!m.queue.empty()) {
    obs.oldest_wait_s = obs.now_s - m.queue.front().arrival_s;
    obs.slo_s = m.queue.front().slo_s;
  }
  obs.batch_size = std::max(1, m.action.batch_size);
  obs.instances = m.instances;
  obs.executing = static_cast<int>(serving_.running.size());
  obs.completed = m.completed;
  obs.mean_latency_s = m.completed > 0 ? m.latency_sum_s / static_cast<double>(m.completed) : 0;
  obs.slo_violation_rate =
      m.slo_total > 0 ? static_cast<double>(m.slo_missed) / static_cast<double>(m.slo_total) : 0;
  obs.power_w = slot_s > 0 ? slot_energy_j / slot_s : 0;
  m.completed = m.slo_total = m.slo_missed = 0;
  m.latency_sum_s = 0;

  auto action = policy_[static_cast<int>(policies::Role::batching)]->on_batch(obs);
  action.batch_size = std::max(1, action.batch_size);
  action.instances = std::max(1, action.instances);
  action.max_wait_s = std::max(0.0, action.max_wait_s);
  if (fit_memory(m, action)) ++m.capped_actions;
  m.reserved_bytes =
      action.instances * traces::instance_memory_bytes(*m.model, action.batch_size, world_.element_bytes,
                                                       serving_.spec->instance_overhead_bytes);
  m.action = action;
  // More instances: load them now. Fewer: the surplus retire when they next look for work.
  for (; m.instances < action.instances; ++m.instances) {
    ServedModel* raw = &m;
    sg4::Actor::create(
        "instance-" + std::to_string(index_) + "-" + m.model->id + "-" + std::to_string(m.instances), host_,
        [this, raw] { run_instance(*raw); });
  }
  m.cv->notify_all();
}

void Device::run_instance(ServedModel& m) {
  std::unique_lock<sg4::Mutex> lock(*m.mutex);
  std::vector<Request> batch;
  while (true) {
    // Wait for a batch: batch_size requests, or the oldest waited max_wait_s, or the sources
    // are done (flush what waits).
    bool take = false;
    while (!take) {
      if (m.instances > m.action.instances) {
        --m.instances;  // surplus instance: unload
        return;
      }
      const bool sources_done = active_sources_ == 0;
      expire(m);
      if (m.queue.empty()) {
        if (sources_done) return;
        m.cv->wait(lock);
        continue;
      }
      if (static_cast<int>(m.queue.size()) >= m.action.batch_size || sources_done ||
          m.action.max_wait_s <= 0) {
        take = true;
        continue;
      }
      double deadline = m.queue.front().arrival_s + m.action.max_wait_s;
      // Wake up when the oldest times out, if that comes first.
      if (serving_.spec->timeout_s > 0)
        deadline = std::min(deadline, m.queue.front().arrival_s + serving_.spec->timeout_s);
      if (sg4::Engine::get_clock() >= deadline) {
        take = true;
        continue;
      }
      m.cv->wait_until(lock, deadline);
    }
    const auto n = std::min(m.queue.size(), static_cast<std::size_t>(m.action.batch_size));
    batch.assign(std::make_move_iterator(m.queue.begin()),
                 std::make_move_iterator(m.queue.begin() + static_cast<long>(n)));
    m.queue.erase(m.queue.begin(), m.queue.begin() + static_cast<long>(n));
    lock.unlock();
    run_batch(m, batch);
    lock.lock();
  }
}

void Device::advance_gpu() {
  const double now = sg4::Engine::get_clock();
  const double dt = now - serving_.last_reshare_s;
  serving_.last_reshare_s = now;
  for (auto& [id, b] : serving_.running) {
    if (b.latency_s <= 0) continue;  // added since the last rating
    b.progress = std::min(1.0, b.progress + dt / b.latency_s);
    // (trace interference: the long-standing expression, so its results stay bit for bit)
    b.energy_j += serving_.spec->interference == "corunner"
                      ? dt * b.attributed_w
                      : dt * b.power_w / static_cast<double>(b.concurrency);
  }
}

void Device::rate_gpu() {
  const double now = sg4::Engine::get_clock();
  const auto k = static_cast<int>(serving_.running.size());
  if (k == 0) {
    go_idle();
    return;
  }
  double power = 0;
  std::vector<double> rails(board_.rails.size(), 0.0);
  if (serving_.spec->interference == "corunner") {
    // Each batch at its traced latency alone, stretched by its co-runner slowdown S. The board
    // draws its idle power plus each batch's dynamic power (traced power alone - idle) spread
    // over its S times longer run; each batch is attributed idle / k plus its dynamic share.
    const double idle = idle_power_w();
    const auto& idle_rails = idle_rails_w();
    power = idle;
    rails = idle_rails;
    for (auto& [id, b] : serving_.running) {
      UnitsQuery q = query(*b.model, 0, static_cast<int>(b.model->units.size()) - 1);
      q.batch = b.batch;
      q.concurrency = 1;
      const RunSums run = backend_.run_units(q);
      const double slowdown = corunner_slowdown(id);
      b.latency_s = run.latency_s * slowdown;
      b.power_w = run.energy_j / run.latency_s;
      const double dynamic = (b.power_w - idle) / slowdown;
      b.attributed_w = idle / k + dynamic;
      power += dynamic;
      for (std::size_t r = 0; r < rails.size(); ++r)
        rails[r] += (run.rail_j[r] / run.latency_s - idle_rails[r]) / slowdown;
      b.concurrency = k;
      b.max_concurrency = std::max(b.max_concurrency, k);
      b.deadline_s = now + (1.0 - b.progress) * b.latency_s;
    }
    meter_.set(now, PowerState::busy, power);
    meter_.set_rails(rails);
    serving_.gpu_cv->notify_all();
    return;
  }
  for (auto& [id, b] : serving_.running) {
    UnitsQuery q = query(*b.model, 0, static_cast<int>(b.model->units.size()) - 1);
    q.batch = b.batch;
    q.concurrency = k;
    // Board rails the trace does not name stay unknown (NaN).
    const RunSums run = backend_.run_units(q);
    const double latency = run.latency_s, energy = run.energy_j;
    const auto& rail_j = run.rail_j;
    b.latency_s = latency;
    b.power_w = energy / latency;
    b.attributed_w = b.power_w / k;
    b.concurrency = k;
    b.max_concurrency = std::max(b.max_concurrency, k);
    b.deadline_s = now + (1.0 - b.progress) * latency;
    power += b.power_w;
    for (std::size_t r = 0; r < rails.size(); ++r) rails[r] += rail_j[r] / latency;
  }
  for (auto& r : rails) r /= k;
  meter_.set(now, PowerState::busy, power / k);
  meter_.set_rails(rails);
  serving_.gpu_cv->notify_all();
}

void Device::run_batch(ServedModel& m, std::vector<Request>& batch) {
  const traces::Model& model = *m.model;
  const double start = sg4::Engine::get_clock();
  RequestRecord shared;  // transition energy, if a governor's clocks are applied now
  if (has_pending_) {
    advance_gpu();
    apply_clocks(pending_, &shared);
    has_pending_ = false;
  }
  const int b = static_cast<int>(batch.size());
  const long id = serving_.next_batch++;
  advance_gpu();
  RunningBatch added;
  added.model = &model;
  added.batch = b;
  serving_.running.emplace(id, added);
  rate_gpu();
  {
    std::unique_lock<sg4::Mutex> lock(*mutex_);
    while (sg4::Engine::get_clock() < serving_.running.at(id).deadline_s)
      serving_.gpu_cv->wait_until(lock, serving_.running.at(id).deadline_s);
  }
  ++world_.activities;
  advance_gpu();
  const RunningBatch done = serving_.running.at(id);
  serving_.running.erase(id);
  rate_gpu();

  const double end = sg4::Engine::get_clock();
  const double per_request_j = (done.energy_j + shared.energy_j) / b;
  const int k = done.max_concurrency;
  for (const auto& request : batch) {
    // The whole model ran: the final head's accuracy on the request's dataset.
    const double accuracy = accuracy_.get(world_.catalog, model, request.accuracy_table, -1, false, 1.0);
    RequestRecord record = record_for(request);
    record.start_s = start;
    record.end_s = end;
    record.energy_j = per_request_j;
    record.edge_units = record.units = static_cast<int>(model.units.size());
    record.cpu_khz = clocks_.cpu_khz;
    record.gpu_hz = clocks_.gpu_hz;
    record.emc_hz = clocks_.emc_hz;
    record.batch = b;
    record.concurrency = k;
    record.accuracy = accuracy;
    record.correct = request_correct(request, -1);
    ++m.completed;
    m.latency_sum_s += record.latency_s();
    if (record.slo_s > 0) {
      ++m.slo_total;
      if (!record.slo_met()) ++m.slo_missed;
    }
    complete(record);
  }
  completed_ += b;
  batch.clear();
}

double Device::corunner_slowdown(long id) {
  const ServingSpec& spec = *serving_.spec;
  auto demand = [&](const RunningBatch& b) {
    const auto key = std::make_tuple(b.model, b.batch, clocks_.cpu_khz, clocks_.gpu_hz, clocks_.emc_hz);
    auto it = serving_.demands.find(key);
    if (it == serving_.demands.end()) {
      // The synthetic model covers fp32 and fp16; int8 runs are taken at fp16's demand.
      const std::string precision = world_.spec.precision == "fp32" ? "fp32" : "fp16";
      it = serving_.demands
               .emplace(key, world_.power_model.gpu_demand(board_, *b.model, b.batch,
                                                           {clocks_.cpu_khz, clocks_.gpu_hz, clocks_.emc_hz},
                                                           precision))
               .first;
    }
    return it->second;
  };
  const RunningBatch& self = serving_.running.at(id);
  std::vector<traces::GpuDemand> others;
  std::vector<traces::CorunnerEntry> entries;
  for (const auto& [other_id, b] : serving_.running) {
    if (other_id == id) continue;
    others.push_back(demand(b));
    entries.push_back({b.model->id, b.batch});
  }
  if (spec.slowdowns) {
    if (const auto measured = spec.slowdowns->find(board_.id, self.model->id, self.batch, entries))
      return *measured;
  }
  return traces::corunner_slowdown(demand(self), others, spec.interference_alpha);
}

void Device::give_up(const Request& request, RequestStatus status, double end_s) {
  RequestRecord record = record_for(request);
  record.status = status;
  record.start_s = record.end_s = end_s;
  record.batch = 0;
  record.concurrency = 0;
  record.cpu_khz = clocks_.cpu_khz;
  record.gpu_hz = clocks_.gpu_hz;
  record.emc_hz = clocks_.emc_hz;
  ServedModel* m = served(request.model);
  if (record.slo_s > 0) {
    ++m->slo_total;
    ++m->slo_missed;
  }
  if (status == RequestStatus::dropped) {
    drop(request);  // counts it and tells the outcome policies
  } else if (!outcome_policies_.empty()) {
    policies::Outcome o;
    o.request_id = request.id;
    o.device = index_;
    o.model = request.model;
    o.status = policies::OutcomeStatus::dropped;
    o.arrival_s = request.arrival_s;
    o.start_s = o.end_s = end_s;
    o.slo_s = request.slo_s;
    o.slo_met = false;
    o.exit_after_unit = policies::kNoExit;
    deliver(o);
  }
  world_.complete(record);
}

void Device::expire(ServedModel& m) {
  const double timeout = serving_.spec->timeout_s;
  if (timeout <= 0) return;
  const double now = sg4::Engine::get_clock();
  while (!m.queue.empty() && now - m.queue.front().arrival_s >= timeout) {
    const Request r = std::move(m.queue.front());
    m.queue.pop_front();
    give_up(r, RequestStatus::timed_out, r.arrival_s + timeout);
  }
}

bool Device::fit_memory(const ServedModel& m, policies::BatchAction& action) const {
  const ServingSpec& spec = *serving_.spec;
  const double cap = board_.memory_bytes * spec.memory_fraction;
  if (cap <= 0) return false;  // a board without a memory size: not modelled
  double others = 0;
  for (const auto& o : serving_.models) {
    if (o.get() != &m) others += o->reserved_bytes;
  }
  auto per_instance = [&](int batch) {
    return traces::instance_memory_bytes(*m.model, batch, world_.element_bytes, spec.instance_overhead_bytes);
  };
  if (others + action.instances * per_instance(action.batch_size) <= cap) return false;
  // Fewer instances first; when not even one fits, halve the batch size; one instance of batch
  // 1 is always kept (the model must be served).
  auto fitting = [&](int batch) {
    return static_cast<int>(std::floor((cap - others) / per_instance(batch)));
  };
  while (fitting(action.batch_size) < 1 && action.batch_size > 1)
    action.batch_size = std::max(1, action.batch_size / 2);
  action.instances = std::max(1, std::min(action.instances, fitting(action.batch_size)));
  return true;
}

}  // namespace edgetwin::sim::detail
