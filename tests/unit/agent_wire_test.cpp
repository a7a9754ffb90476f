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
  std::vector<float> state;
  wire::decode_state(wire::encode_state({1.5F, -2.0F, 3.25F}), state);
  EXPECT_EQ(state, (std::vector<float>{1.5F, -2.0F, 3.25F}));
  EXPECT_EQ(wire::decode_action(wire::encode_action(7)), 7);
  wire::ObservePayload o{2, 0.75, 1.5, true, {1, 2}, {3, 4}}, back;
  wire::decode_observe(wire::encode_observe(o), back);
  EXPECT_EQ(back.action, 2);
  EXPECT_DOUBLE_EQ(back.reward, 0.75);
  EXPECT_DOUBLE_EQ(back.dt_s, 1.5);
  EXPECT_TRUE(back.done);
  EXPECT_EQ(back.state, (std::vector<float>{1, 2}));
  EXPECT_EQ(back.next_state, (std::vector<float>{3, 4}));
  const auto r = wire::request_from_json(wire::to_json(request()));
  EXPECT_EQ(r.policy, "ztt");
  EXPECT_EQ(r.learner, request().learner);
  EXPECT_EQ(r.action_names, request().action_names);
  EXPECT_EQ(r.checkpoint, "ckpt");
}

TEST(AgentWire, ShortOrOverlongPayloadsAreRejected) {
  auto payload = wire::encode_state({1, 2});
  payload.pop_back();
  std::vector<float> state;
  EXPECT_THROW(wire::decode_state(payload, state), wire::WireError);
  auto action = wire::encode_action(1);
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
        p.server->send(wire::Type::welcome, wire::encode_json({{"learning", true}}));
      } else if (type == wire::Type::act) {
        std::vector<float> state;
        wire::decode_state(payload, state);
        p.server->send(wire::Type::action, wire::encode_action(static_cast<int>(state[0] + state[1])));
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
    agent.end({{"overall", 42}});
  }
  p.client.reset();  // closes the client's end: the server's loop ends
  server.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"hello", "s", "act", "observe", "reward=0.500000", "act", "end",
                                            "42"}));
}

TEST(AgentWire, AnActionOutOfRangeIsAProtocolError) {
  auto p = connected();
  std::thread server([&] {
    std::vector<std::uint8_t> payload;
    p.server->receive(payload);
    p.server->send(wire::Type::welcome, wire::encode_json({{"learning", false}}));
    p.server->receive(payload);
    p.server->send(wire::Type::action, wire::encode_action(3));  // 3 actions: 0..2
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
    EXPECT_NE(std::string(e.what()).find("the test server refused policy 'ztt': action_count is 9"),
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
