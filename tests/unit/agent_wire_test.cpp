// The agent protocol (agent_wire/agent_wire.hpp) over a real socket pair: a scripted server thread
// answers a RemoteAgent; malformed frames, refusals and a vanished peer give clear errors.

#include "edgetwin/agent_wire/agent_wire.hpp"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

namespace wire = edgetwin::policies::wire;
using edgetwin::policies::AgentRequest;

namespace {

struct Pair {
  std::shared_ptr<wire::Channel> client;
  std::shared_ptr<wire::Channel> server;
};

Pair connected() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
  return {std::make_shared<wire::Channel>(fds[0], "the test server"),
          std::make_shared<wire::Channel>(fds[1], "the client")};
}

AgentRequest request() {
  AgentRequest r;
  r.policy = "ztt";
  r.learner = {{"kind", "dqn"}, {"state_dim", 2}, {"action_count", 3}};
  r.state_names = {"a", "b"};
  r.action_names = {"x", "y", "z"};
  r.checkpoint = "ckpt";
  return r;
}

}  // namespace

TEST(AgentWire, PayloadsRoundTrip) {
  std::vector<float> state, target;
  EXPECT_EQ(wire::decode_state(wire::encode_state(5, {1.5F, -2.0F, 3.25F}), state), 5);
  EXPECT_EQ(state, (std::vector<float>{1.5F, -2.0F, 3.25F}));
  EXPECT_EQ(wire::decode_action(wire::encode_action({7})), std::vector<int>{7});
  EXPECT_EQ(wire::decode_action(wire::encode_action({1, 0, 3})), (std::vector<int>{1, 0, 3}));
  wire::decode_floats(wire::encode_floats({0.5F, 2}), state);
  EXPECT_EQ(state, (std::vector<float>{0.5F, 2}));
  EXPECT_EQ(wire::decode_sample(wire::encode_sample(3, {1, 2}, {4}), state, target), 3);
  EXPECT_EQ(state, (std::vector<float>{1, 2}));
  EXPECT_EQ(target, std::vector<float>{4});
  wire::ObservePayload o{1, {2, 1}, 0.75, 1.5, true, {1, 2}, {3, 4}}, back;
  wire::decode_observe(wire::encode_observe(o), back);
  EXPECT_EQ(back.id, 1);
  EXPECT_EQ(back.action, (std::vector<int>{2, 1}));
  EXPECT_DOUBLE_EQ(back.reward, 0.75);
  EXPECT_DOUBLE_EQ(back.dt_s, 1.5);
  EXPECT_TRUE(back.done);
  EXPECT_EQ(back.state, (std::vector<float>{1, 2}));
  EXPECT_EQ(back.next_state, (std::vector<float>{3, 4}));
  const auto r = wire::request_from_json(wire::to_json(request()));
  EXPECT_EQ(r.policy, "ztt");
  EXPECT_EQ(r.network, "ztt");  // the default: the policy's name
  EXPECT_EQ(r.learner, request().learner);
  EXPECT_EQ(r.action_names, request().action_names);
  EXPECT_EQ(r.checkpoint, "ckpt");
}

TEST(AgentWire, ShortOrOverlongPayloadsAreRejected) {
  auto payload = wire::encode_state(0, {1, 2});
  payload.pop_back();
  std::vector<float> state;
  EXPECT_THROW(wire::decode_state(payload, state), wire::WireError);
  auto action = wire::encode_action({1});
  action.push_back(0);
  EXPECT_THROW(wire::decode_action(action), wire::WireError);
  EXPECT_THROW(wire::decode_json({'{', 'x'}), wire::WireError);
}

TEST(AgentWire, ARemoteAgentActsAndObservesThroughTheServer) {
  auto p = connected();
  std::vector<std::string> seen;
  std::thread server([&] {
    std::vector<std::uint8_t> payload;
    wire::Type type{};
    while (p.server->try_receive(type, payload)) {
      seen.emplace_back(wire::to_string(type));
      if (type == wire::Type::hello) {
        const auto hello = wire::decode_json(payload);
        seen.push_back(hello.at("run").at("scenario").get<std::string>());
        seen.push_back("protocol=" + hello.at("protocol").dump());
        p.server->send(wire::Type::welcome, wire::encode_json({{"learning", true}, {"id", 0}}));
      } else if (type == wire::Type::act) {
        std::vector<float> state;
        EXPECT_EQ(wire::decode_state(payload, state), 0);
        p.server->send(wire::Type::action, wire::encode_action({static_cast<int>(state[0] + state[1])}));
      } else if (type == wire::Type::observe) {
        wire::ObservePayload o;
        wire::decode_observe(payload, o);
        seen.push_back("reward=" + std::to_string(o.reward));
      } else if (type == wire::Type::end) {
        seen.push_back(wire::decode_json(payload).at("overall").dump());
      }
    }
  });
  {
    wire::RemoteAgent agent(p.client, request(), {{"scenario", "s"}});
    EXPECT_TRUE(agent.learning());
    EXPECT_EQ(agent.act({1, 1}), 2);
    agent.observe({1, 1}, 2, 0.5, {0, 1}, false, 1.0);
    EXPECT_EQ(agent.act({0, 1}), 1);
    wire::send_end(*p.client, {{"overall", 42}});
  }
  p.client.reset();  // closes the client's end: the server's loop ends
  server.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"hello", "s", "protocol=2", "act", "observe", "reward=0.500000",
                                            "act", "end", "42"}));
}

// Two networks over one connection: a branched decision network (heads 3 x 2: tuples on the
// wire, joint indices for the policy) and a supervised one (predict / sample), told apart by the
// ids the welcomes give.
TEST(AgentWire, TwoNetworksShareOneConnectionWithTuplesAndPredictions) {
  auto p = connected();
  std::vector<std::string> seen;
  std::thread server([&] {
    std::vector<std::uint8_t> payload;
    std::vector<float> x, y;
    wire::Type type{};
    int hellos = 0;
    while (p.server->try_receive(type, payload)) {
      if (type == wire::Type::hello) {
        seen.push_back(wire::decode_json(payload).at("network").get<std::string>());
        p.server->send(wire::Type::welcome, wire::encode_json({{"learning", true}, {"id", hellos++}}));
      } else if (type == wire::Type::act) {
        seen.push_back("act id " + std::to_string(wire::decode_state(payload, x)));
        p.server->send(wire::Type::action, wire::encode_action({2, 1}));  // joint 2 * 2 + 1 = 5
      } else if (type == wire::Type::observe) {
        wire::ObservePayload o;
        wire::decode_observe(payload, o);
        seen.push_back("observe (" + std::to_string(o.action[0]) + "," + std::to_string(o.action[1]) + ")");
      } else if (type == wire::Type::predict) {
        seen.push_back("predict id " + std::to_string(wire::decode_state(payload, x)));
        p.server->send(wire::Type::prediction, wire::encode_floats({x[0] * 2, -1}));
      } else if (type == wire::Type::sample) {
        const int id = wire::decode_sample(payload, x, y);
        seen.push_back("sample id " + std::to_string(id) + " target " +
                       std::to_string(static_cast<int>(y[0])));
      }
    }
  });
  {
    auto dvfo = request();
    dvfo.policy = "dvfo";
    dvfo.learner = {{"kind", "dqn"}, {"state_dim", 2}, {"branches", {3, 2}}, {"action_count", 6}};
    wire::RemoteAgent decider(p.client, dvfo, {});
    AgentRequest predictor;
    predictor.policy = "dvfo";
    predictor.network = "interference";
    predictor.learner = {{"kind", "supervised"}, {"inputs", 1}, {"outputs", 2}};
    wire::RemoteAgent supervised(p.client, predictor, {});
    EXPECT_EQ(decider.id(), 0);
    EXPECT_EQ(supervised.id(), 1);
    EXPECT_EQ(decider.act({0, 0}), 5);
    decider.observe({0, 0}, 3, 1.0, {0, 0}, false, 1.0);  // joint 3 = (1, 1)
    EXPECT_EQ(supervised.predict({1.5F}), (std::vector<float>{3.0F, -1.0F}));
    supervised.sample({1.5F}, {1});
    EXPECT_THROW(decider.predict({1}), std::logic_error);
    EXPECT_THROW(supervised.act({1}), std::logic_error);
  }
  p.client.reset();
  server.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"dvfo", "interference", "act id 0", "observe (1,1)",
                                            "predict id 1", "sample id 1 target 1"}));
}

TEST(AgentWire, AnActionOutOfRangeIsAProtocolError) {
  auto p = connected();
  std::thread server([&] {
    std::vector<std::uint8_t> payload;
    p.server->receive(payload);
    p.server->send(wire::Type::welcome, wire::encode_json({{"learning", false}}));
    p.server->receive(payload);
    p.server->send(wire::Type::action, wire::encode_action({3}));  // 3 actions: 0..2
  });
  wire::RemoteAgent agent(p.client, request(), {});
  EXPECT_THROW(agent.act({0, 0}), wire::WireError);
  server.join();
}

TEST(AgentWire, ARefusalCarriesTheServersReason) {
  auto p = connected();
  std::thread server([&] {
    std::vector<std::uint8_t> payload;
    p.server->receive(payload);
    p.server->send(wire::Type::welcome,
                   wire::encode_json({{"error", "action_count is 9 in the checkpoint"}}));
  });
  try {
    wire::RemoteAgent agent(p.client, request(), {});
    FAIL() << "no refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "the test server refused network 'ztt' of policy 'ztt': action_count is 9"),
              std::string::npos)
        << e.what();
  }
  server.join();
}

TEST(AgentWire, APeerThatVanishesOrSpeaksAnotherProtocolIsNamed) {
  {
    auto p = connected();
    p.server.reset();  // the server exits before answering
    try {
      wire::RemoteAgent agent(p.client, request(), {});
      FAIL() << "no error";
    } catch (const wire::WireError& e) {
      EXPECT_NE(std::string(e.what()).find("the test server"), std::string::npos) << e.what();
    }
  }
  {
    auto p = connected();
    const char junk[] = "HTTP/1.1 200 OK\r\n";
    ASSERT_EQ(::write(p.server->fd(), junk, sizeof junk), static_cast<ssize_t>(sizeof junk));
    std::vector<std::uint8_t> payload;
    EXPECT_THROW(p.client->receive(payload), wire::WireError);
  }
}
