#include "agent_server.hpp"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "edgetwin/common/action_branches.hpp"

namespace edgetwin::learn_app {

namespace wire = policies::wire;
namespace fs = std::filesystem;

learn::Dataset Network::dataset() const {
  learn::Dataset data;
  const int width = supervised->config().network.inputs;
  data.input_dim = width;
  const bool classify = supervised->config().task == learn::SupervisedTask::kClassification;
  data.inputs.reserve(inputs.size() * static_cast<std::size_t>(width));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    data.inputs.insert(data.inputs.end(), inputs[i].begin(), inputs[i].end());
    if (classify)
      data.labels.push_back(static_cast<std::int64_t>(targets[i].at(0)));
    else
      data.targets.insert(data.targets.end(), targets[i].begin(), targets[i].end());
  }
  return data;
}

void Network::build(const std::string& checkpoint_dir) {
  kind = learn::learner_kind(spec);
  if (kind == "supervised") {
    supervised = std::make_unique<learn::SupervisedTrainer>(learn::supervised_config_from_json(spec));
    max_samples = spec.value("max_samples", std::size_t{100000});
    if (!checkpoint_dir.empty()) supervised->load(checkpoint_dir);
  } else {
    decider = learn::make_learner(spec);
    if (!checkpoint_dir.empty()) decider->load(checkpoint_dir);
    heads = wire::heads_of(spec);
  }
  checkpoint = checkpoint_dir;
}

void Network::save(const std::string& dir, const nlohmann::json& user) const {
  if (supervised)
    supervised->save(dir, user);
  else
    decider->save(dir, user);
}

void Network::save_atomically(const std::string& dir, const nlohmann::json& user) const {
  const fs::path tmp = dir + ".writing";
  const fs::path old = dir + ".old";
  fs::remove_all(tmp);
  save(tmp.string(), user);
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(tmp, dir);
  fs::remove_all(old);
}

std::string csv_number(double x) {
  if (std::isnan(x)) return "";
  std::ostringstream os;
  os << std::setprecision(10) << x;
  return os.str();
}

NetworkStats EpisodeStats::of(const std::string& name) const {
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (networks[i]->name == name) return stats[i];
  }
  return {};
}

namespace {

/// The network of an id received from the client.
std::size_t checked_id(int id, const EpisodeStats& stats, const char* what) {
  if (id < 0 || static_cast<std::size_t>(id) >= stats.networks.size()) {
    throw wire::WireError(std::string("agent protocol: ") + what + " for network id " + std::to_string(id) +
                          ", but " + std::to_string(stats.networks.size()) + " network(s) said hello");
  }
  return static_cast<std::size_t>(id);
}

}  // namespace

EpisodeStats serve(wire::Channel& channel,
                   const std::function<Network&(const policies::AgentRequest&)>& network_for,
                   const std::function<void(const learn::UpdateStats&)>& after_update) {
  EpisodeStats stats;
  std::vector<std::uint8_t> payload;
  std::vector<float> state, target;
  wire::ObservePayload o;
  learn::Transition t;
  wire::Type type{};
  while (channel.try_receive(type, payload)) {
    switch (type) {
      case wire::Type::hello: {
        const auto hello = wire::decode_json(payload);
        if (hello.value("protocol", 1) != wire::kProtocolVersion) {
          const std::string why = "agent protocol version " +
                                  hello.value("protocol", nlohmann::json(1)).dump() +
                                  ", this edgetwin-learn speaks " + std::to_string(wire::kProtocolVersion) +
                                  " (edgetwin and edgetwin-learn are from different builds)";
          channel.send(wire::Type::welcome, wire::encode_json({{"error", why}}));
          throw std::invalid_argument(why);
        }
        if (stats.run.is_null()) stats.run = hello.value("run", nlohmann::json::object());
        const auto request = wire::request_from_json(hello);
        Network* network = nullptr;
        try {
          network = &network_for(request);
        } catch (const std::exception& e) {
          channel.send(wire::Type::welcome, wire::encode_json({{"error", e.what()}}));
          throw;
        }
        stats.networks.push_back(network);
        stats.stats.emplace_back();
        channel.send(wire::Type::welcome,
                     wire::encode_json({{"learning", network->learning},
                                        {"id", static_cast<int>(stats.networks.size() - 1)}}));
        break;
      }
      case wire::Type::act: {
        const auto id = checked_id(wire::decode_state(payload, state), stats, "act");
        Network& n = *stats.networks[id];
        if (!n.decider) throw wire::WireError("agent protocol: act for supervised network '" + n.name + "'");
        const int joint = n.decider->act(state, n.learning);
        channel.send(wire::Type::action, wire::encode_action(common::action_tuple(n.heads, joint)));
        break;
      }
      case wire::Type::observe: {
        wire::decode_observe(payload, o);
        const auto id = checked_id(o.id, stats, "observe");
        Network& n = *stats.networks[id];
        if (!n.decider)
          throw wire::WireError("agent protocol: observe for supervised network '" + n.name + "'");
        auto& s = stats.stats[id];
        ++s.decisions;
        s.reward_sum += o.reward;
        if (!n.learning) break;
        t.state = o.state;
        try {
          t.action = common::joint_action(n.heads, o.action);
        } catch (const std::exception& e) {
          throw wire::WireError("agent protocol: observe for network '" + n.name + "': " + e.what());
        }
        t.reward = o.reward;
        t.next_state = o.next_state;
        t.done = o.done;
        t.dt_s = o.dt_s;
        n.decider->observe(t);
        if (const auto u = n.decider->maybe_update()) {
          if (u->applied) {
            ++s.updates;
            s.loss_sum += u->loss;
            s.q_sum += u->mean_q;
            s.alpha = u->alpha;
            s.entropy = u->entropy;
          }
          if (after_update) after_update(*u);
        }
        break;
      }
      case wire::Type::predict: {
        const auto id = checked_id(wire::decode_state(payload, state), stats, "predict");
        Network& n = *stats.networks[id];
        if (!n.supervised)
          throw wire::WireError("agent protocol: predict for decision network '" + n.name + "'");
        ++stats.stats[id].decisions;
        channel.send(wire::Type::prediction, wire::encode_floats(n.supervised->predict(state)));
        break;
      }
      case wire::Type::sample: {
        const auto id = checked_id(wire::decode_sample(payload, state, target), stats, "sample");
        Network& n = *stats.networks[id];
        if (!n.supervised)
          throw wire::WireError("agent protocol: sample for decision network '" + n.name + "'");
        const auto& config = n.supervised->config();
        const bool classify = config.task == learn::SupervisedTask::kClassification;
        const auto want_target = classify ? 1 : config.network.outputs;
        if (static_cast<int>(state.size()) != config.network.inputs ||
            static_cast<int>(target.size()) != want_target ||
            (classify && (target[0] < 0 || target[0] >= static_cast<float>(config.network.outputs) ||
                          target[0] != static_cast<float>(static_cast<int>(target[0]))))) {
          throw wire::WireError(
              "agent protocol: sample for network '" + n.name + "' of " + std::to_string(state.size()) +
              " inputs and " + std::to_string(target.size()) + " target value(s); the network takes " +
              std::to_string(config.network.inputs) + " inputs and " +
              (classify ? "one class index in [0, " + std::to_string(config.network.outputs) + ")"
                        : std::to_string(want_target) + " targets"));
        }
        ++stats.stats[id].samples;
        if (!n.learning) break;
        n.inputs.push_back(state);
        n.targets.push_back(target);
        while (n.inputs.size() > n.max_samples) {
          n.inputs.pop_front();
          n.targets.pop_front();
        }
        break;
      }
      case wire::Type::end:
        stats.summary = wire::decode_json(payload);
        break;
      default:
        throw wire::WireError(std::string("agent protocol: unexpected ") + wire::to_string(type) + " from " +
                              channel.peer());
    }
  }
  return stats;
}

}  // namespace edgetwin::learn_app
