#pragma once
/// The agent protocol between a simulation (`edgetwin run`, the client) and a learner process
/// (`edgetwin-learn train` or `edgetwin-learn serve`, the server) over a stream socket or pipe
/// pair. Both ends run on the same machine, so numbers travel in host byte order. Frames:
/// u8 type, u32 payload length, payload.
///
///   client                                   server
///   hello   {JSON: AgentRequest, run facts} ->
///                                          <- welcome {JSON: "learning": bool | "error": text}
///   act     {u32 n, f32 state[n]}          ->
///                                          <- action  {i32}
///   observe {i32 action, f64 reward, f64 dt_s, u8 done, u32 n, f32 state[n], f32 next[n]} ->
///   end     {JSON: the run's summary}      ->   (then the client closes)
///
/// observe needs no answer, so a decision costs one round trip (docs/learning.md).

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/agent.hpp"

namespace edgetwin::policies::wire {

enum class Type : std::uint8_t { hello = 1, welcome = 2, act = 3, action = 4, observe = 5, end = 6 };
const char* to_string(Type type);

/// The peer closed the connection, or it sent something that is not this protocol.
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One end of a connection; owns the file descriptor (closed on destruction).
class Channel {
 public:
  explicit Channel(int fd, std::string peer);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  void send(Type type, const std::vector<std::uint8_t>& payload);
  /// Blocks for the next frame; throws WireError at end of stream ("closed by <peer>").
  Type receive(std::vector<std::uint8_t>& payload);
  /// Like receive(), but returns false at a clean end of stream (between frames).
  bool try_receive(Type& type, std::vector<std::uint8_t>& payload);
  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }

 private:
  int fd_;
  std::string peer_;
};

/// Payload builders and readers; readers throw WireError on a short or malformed payload.
std::vector<std::uint8_t> encode_json(const nlohmann::json& j);
nlohmann::json decode_json(const std::vector<std::uint8_t>& payload);
std::vector<std::uint8_t> encode_state(const std::vector<float>& state);
void decode_state(const std::vector<std::uint8_t>& payload, std::vector<float>& state);
std::vector<std::uint8_t> encode_action(int action);
int decode_action(const std::vector<std::uint8_t>& payload);

struct ObservePayload {
  int action = 0;
  double reward = 0;
  double dt_s = 0;
  bool done = false;
  std::vector<float> state;
  std::vector<float> next_state;
};
std::vector<std::uint8_t> encode_observe(const ObservePayload& o);
void decode_observe(const std::vector<std::uint8_t>& payload, ObservePayload& o);

/// The client end: an Agent whose learner is in the server process. Constructed by hello():
/// sends the request, waits for welcome, throws std::runtime_error with the server's message
/// when it refuses (e.g. a checkpoint of another shape).
class RemoteAgent final : public Agent {
 public:
  /// `run` adds what the server records about the run (scenario name and hash, seed, ...).
  RemoteAgent(std::shared_ptr<Channel> channel, const AgentRequest& request, const nlohmann::json& run);
  int act(const std::vector<float>& state) override;
  void observe(const std::vector<float>& state, int action, double reward,
               const std::vector<float>& next_state, bool done, double dt_s) override;
  /// Sends the run's summary; the agent must not be used afterwards.
  void end(const nlohmann::json& summary);
  bool learning() const { return learning_; }
  const AgentRequest& request() const { return request_; }

 private:
  std::shared_ptr<Channel> channel_;
  AgentRequest request_;
  bool learning_ = false;
  bool ended_ = false;
  std::vector<std::uint8_t> buffer_;
  int action_count_ = 0;
};

nlohmann::json to_json(const AgentRequest& request);
AgentRequest request_from_json(const nlohmann::json& j);  ///< throws WireError on missing fields

}  // namespace edgetwin::policies::wire
