#pragma once
/// The agent protocol between a simulation (`edgetwin run`, the client) and a learner process
/// (`edgetwin-learn train` or `edgetwin-learn serve`, the server) over a stream socket or pipe
/// pair. Both ends run on the same machine, so numbers travel in host byte order. Frames:
/// u8 type, u32 payload length, payload.
///
/// One connection serves every learned network of a run: each network's first user sends a
/// hello and gets the network's id (0, 1, ... in hello order), which its later messages carry.
///
///   client                                   server
///   hello   {JSON: AgentRequest, run facts, "protocol": 2} ->
///                                          <- welcome {JSON: "learning": bool, "id": k | "error": text}
///   act     {u16 id, u32 n, f32 state[n]}  ->
///                                          <- action  {u32 d, i32 a[d]}   the action tuple (d = 1
///                                                                          without branches)
///   observe {u16 id, u32 d, i32 a[d], f64 reward, f64 dt_s, u8 done, u32 n, f32 state[n],
///            f32 next[n]}                  ->
///   predict {u16 id, u32 n, f32 input[n]}  ->
///                                          <- prediction {u32 m, f32 output[m]}
///   sample  {u16 id, u32 n, f32 input[n], u32 m, f32 target[m]} ->
///   end     {JSON: the run's summary}      ->   (then the client closes)
///
/// observe and sample need no answer, so a decision costs one round trip (docs/learning.md).

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/policies/agent.hpp"

namespace edgetwin::policies::wire {

enum class Type : std::uint8_t {
  hello = 1,
  welcome = 2,
  act = 3,
  action = 4,
  observe = 5,
  end = 6,
  predict = 7,
  prediction = 8,
  sample = 9
};
/// The version in every hello; the server refuses others.
inline constexpr int kProtocolVersion = 2;
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
/// act and predict: a network id and one float vector.
std::vector<std::uint8_t> encode_state(int id, const std::vector<float>& state);
int decode_state(const std::vector<std::uint8_t>& payload, std::vector<float>& state);
/// action: the tuple; prediction: the outputs.
std::vector<std::uint8_t> encode_action(const std::vector<int>& tuple);
std::vector<int> decode_action(const std::vector<std::uint8_t>& payload);
std::vector<std::uint8_t> encode_floats(const std::vector<float>& values);
void decode_floats(const std::vector<std::uint8_t>& payload, std::vector<float>& values);
/// sample: a network id, the input and the target.
std::vector<std::uint8_t> encode_sample(int id, const std::vector<float>& input,
                                        const std::vector<float>& target);
int decode_sample(const std::vector<std::uint8_t>& payload, std::vector<float>& input,
                  std::vector<float>& target);

struct ObservePayload {
  int id = 0;               ///< the network
  std::vector<int> action;  ///< the tuple
  double reward = 0;
  double dt_s = 0;
  bool done = false;
  std::vector<float> state;
  std::vector<float> next_state;
};
std::vector<std::uint8_t> encode_observe(const ObservePayload& o);
void decode_observe(const std::vector<std::uint8_t>& payload, ObservePayload& o);

/// The client end of one network: an Agent whose learner is in the server process. The
/// constructor sends the hello and waits for the welcome; it throws std::runtime_error with the
/// server's message when the server refuses (e.g. a checkpoint of another shape). Several
/// RemoteAgents (one per network) share one channel.
class RemoteAgent final : public Agent {
 public:
  /// `run` adds what the server records about the run (scenario name and hash, seed, ...).
  RemoteAgent(std::shared_ptr<Channel> channel, const AgentRequest& request, const nlohmann::json& run);
  int act(const std::vector<float>& state) override;
  void observe(const std::vector<float>& state, int action, double reward,
               const std::vector<float>& next_state, bool done, double dt_s) override;
  std::vector<float> predict(const std::vector<float>& input) override;
  void sample(const std::vector<float>& input, const std::vector<float>& target) override;
  bool learning() const { return learning_; }
  int id() const { return id_; }
  const AgentRequest& request() const { return request_; }

 private:
  std::shared_ptr<Channel> channel_;
  AgentRequest request_;
  bool learning_ = false;
  bool supervised_ = false;
  int id_ = 0;
  std::vector<std::uint8_t> buffer_;
  int action_count_ = 0;
  std::vector<int> heads_;  ///< branch sizes ({action_count} without branches)
  int outputs_ = 0;         ///< supervised: outputs per prediction
};

/// Sends the run's summary on a channel (after the last decision of every network).
void send_end(Channel& channel, const nlohmann::json& summary);

/// The branch sizes of a learner spec: its "branches", or {action_count}.
std::vector<int> heads_of(const nlohmann::json& learner);

nlohmann::json to_json(const AgentRequest& request);
AgentRequest request_from_json(const nlohmann::json& j);  ///< throws WireError on missing fields

}  // namespace edgetwin::policies::wire
