#include "agent_server.hpp"

#include <stdexcept>

namespace edgetwin::learn_app {

namespace wire = policies::wire;

EpisodeStats serve(wire::Channel& channel, bool learning,
                   const std::function<learn::DiscreteLearner&(const policies::AgentRequest&)>& learner_for,
                   const std::function<void(const learn::UpdateStats&)>& after_update) {
  EpisodeStats stats;
  learn::DiscreteLearner* learner = nullptr;
  std::vector<std::uint8_t> payload;
  std::vector<float> state;
  wire::ObservePayload o;
  learn::Transition t;
  wire::Type type{};
  while (channel.try_receive(type, payload)) {
    switch (type) {
      case wire::Type::hello: {
        stats.hello = wire::decode_json(payload);
        const auto request = wire::request_from_json(stats.hello);
        try {
          learner = &learner_for(request);
        } catch (const std::exception& e) {
          channel.send(wire::Type::welcome, wire::encode_json({{"error", e.what()}}));
          throw;
        }
        channel.send(wire::Type::welcome, wire::encode_json({{"learning", learning}}));
        break;
      }
      case wire::Type::act: {
        if (learner == nullptr) throw wire::WireError("agent protocol: act before hello");
        wire::decode_state(payload, state);
        channel.send(wire::Type::action, wire::encode_action(learner->act(state, learning)));
        break;
      }
      case wire::Type::observe: {
        if (learner == nullptr) throw wire::WireError("agent protocol: observe before hello");
        wire::decode_observe(payload, o);
        ++stats.decisions;
        stats.reward_sum += o.reward;
        if (!learning) break;
        t.state = o.state;
        t.action = o.action;
        t.reward = o.reward;
        t.next_state = o.next_state;
        t.done = o.done;
        t.dt_s = o.dt_s;
        learner->observe(t);
        if (const auto u = learner->maybe_update()) {
          if (u->applied) {
            ++stats.updates;
            stats.loss_sum += u->loss;
            stats.q_sum += u->mean_q;
            stats.alpha = u->alpha;
            stats.entropy = u->entropy;
          }
          if (after_update) after_update(*u);
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
