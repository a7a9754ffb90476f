// The agent protocol (agent_wire.hpp): framing over a file descriptor and the client agent.

#include "edgetwin/agent_wire/agent_wire.hpp"

#include <cerrno>
#include <cstring>
#include <limits>

#include "edgetwin/common/action_branches.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace edgetwin::policies::wire {
namespace {

/// Frames above this are a protocol error (the largest real one is a run summary, ~10 kB).
constexpr std::uint32_t kMaxPayload = 64U << 20U;

template <typename T>
void put(std::vector<std::uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

class Reader {
 public:
  Reader(const std::vector<std::uint8_t>& in, const char* what) : in_(in), what_(what) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  void floats(std::vector<float>& out, std::uint32_t n) {
    need(static_cast<std::size_t>(n) * sizeof(float));
    out.resize(n);
    if (n > 0) std::memcpy(out.data(), in_.data() + pos_, n * sizeof(float));
    pos_ += static_cast<std::size_t>(n) * sizeof(float);
  }
  void finish() const {
    if (pos_ != in_.size()) {
      throw WireError(std::string("agent protocol: ") + what_ + ": " + std::to_string(in_.size() - pos_) +
                      " bytes left over");
    }
  }

 private:
  void need(std::size_t n) const {
    if (in_.size() - pos_ < n) {
      throw WireError(std::string("agent protocol: ") + what_ + ": payload of " + std::to_string(in_.size()) +
                      " bytes is too short");
    }
  }
  const std::vector<std::uint8_t>& in_;
  const char* what_;
  std::size_t pos_ = 0;
};

/// Reads exactly n bytes; false when the stream ends before the first byte (clean close).
bool read_all(int fd, void* data, std::size_t n, const std::string& peer, bool allow_eof) {
  auto* p = static_cast<std::uint8_t*>(data);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::read(fd, p + done, n - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw WireError("agent protocol: reading from " + peer + ": " + std::strerror(errno));
    }
    if (got == 0) {
      if (done == 0 && allow_eof) return false;
      throw WireError("agent protocol: connection closed by " + peer + " in the middle of a message");
    }
    done += static_cast<std::size_t>(got);
  }
  return true;
}

void write_all(int fd, const void* data, std::size_t n, const std::string& peer) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::size_t done = 0;
  while (done < n) {
    // MSG_NOSIGNAL: a peer that has exited gives EPIPE here, not a SIGPIPE that kills us.
    ssize_t put_n = ::send(fd, p + done, n - done, MSG_NOSIGNAL);
    if (put_n < 0 && errno == ENOTSOCK) put_n = ::write(fd, p + done, n - done);
    if (put_n < 0) {
      if (errno == EINTR) continue;
      throw WireError("agent protocol: writing to " + peer + ": " + std::strerror(errno) +
                      (errno == EPIPE ? " (it has exited)" : ""));
    }
    done += static_cast<std::size_t>(put_n);
  }
}

}  // namespace

const char* to_string(Type type) {
  switch (type) {
    case Type::hello:
      return "hello";
    case Type::welcome:
      return "welcome";
    case Type::act:
      return "act";
    case Type::action:
      return "action";
    case Type::observe:
      return "observe";
    case Type::end:
      return "end";
    case Type::predict:
      return "predict";
    case Type::prediction:
      return "prediction";
    case Type::sample:
      return "sample";
  }
  return "unknown";
}

Channel::Channel(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Channel::~Channel() {
  if (fd_ >= 0) ::close(fd_);
}

void Channel::send(Type type, const std::vector<std::uint8_t>& payload) {
  if (payload.size() > kMaxPayload) throw WireError("agent protocol: message too large to send");
  std::vector<std::uint8_t> frame;
  frame.reserve(5 + payload.size());
  put(frame, static_cast<std::uint8_t>(type));
  put(frame, static_cast<std::uint32_t>(payload.size()));
  frame.insert(frame.end(), payload.begin(), payload.end());
  write_all(fd_, frame.data(), frame.size(), peer_);
}

bool Channel::try_receive(Type& type, std::vector<std::uint8_t>& payload) {
  std::uint8_t header[5];
  if (!read_all(fd_, header, sizeof header, peer_, true)) return false;
  std::uint32_t size = 0;
  std::memcpy(&size, header + 1, sizeof size);
  if (header[0] < 1 || header[0] > 9 || size > kMaxPayload) {
    throw WireError("agent protocol: " + peer_ + " sent a frame that is not this protocol (type " +
                    std::to_string(header[0]) + ", " + std::to_string(size) + " bytes)");
  }
  type = static_cast<Type>(header[0]);
  payload.resize(size);
  if (size > 0) read_all(fd_, payload.data(), size, peer_, false);
  return true;
}

Type Channel::receive(std::vector<std::uint8_t>& payload) {
  Type type{};
  if (!try_receive(type, payload)) throw WireError("agent protocol: connection closed by " + peer_);
  return type;
}

std::vector<std::uint8_t> encode_json(const nlohmann::json& j) {
  const auto text = j.dump();
  return {text.begin(), text.end()};
}

nlohmann::json decode_json(const std::vector<std::uint8_t>& payload) {
  auto j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) throw WireError("agent protocol: a JSON message that does not parse");
  return j;
}

namespace {
void put_floats(std::vector<std::uint8_t>& out, const std::vector<float>& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
  out.insert(out.end(), p, p + v.size() * sizeof(float));
}
void put_ints(std::vector<std::uint8_t>& out, const std::vector<int>& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  for (const int x : v) put(out, static_cast<std::int32_t>(x));
}
std::vector<int> get_ints(Reader& r) {
  const auto n = r.get<std::uint32_t>();
  if (n > 64) throw WireError("agent protocol: an action tuple of " + std::to_string(n) + " components");
  std::vector<int> v(n);
  for (auto& x : v) x = r.get<std::int32_t>();
  return v;
}
}  // namespace

std::vector<std::uint8_t> encode_state(int id, const std::vector<float>& state) {
  std::vector<std::uint8_t> out;
  out.reserve(6 + state.size() * sizeof(float));
  put(out, static_cast<std::uint16_t>(id));
  put_floats(out, state);
  return out;
}

int decode_state(const std::vector<std::uint8_t>& payload, std::vector<float>& state) {
  Reader r(payload, "act/predict");
  const int id = r.get<std::uint16_t>();
  r.floats(state, r.get<std::uint32_t>());
  r.finish();
  return id;
}

std::vector<std::uint8_t> encode_action(const std::vector<int>& tuple) {
  std::vector<std::uint8_t> out;
  put_ints(out, tuple);
  return out;
}

std::vector<int> decode_action(const std::vector<std::uint8_t>& payload) {
  Reader r(payload, "action");
  auto tuple = get_ints(r);
  r.finish();
  return tuple;
}

std::vector<std::uint8_t> encode_floats(const std::vector<float>& values) {
  std::vector<std::uint8_t> out;
  put_floats(out, values);
  return out;
}

void decode_floats(const std::vector<std::uint8_t>& payload, std::vector<float>& values) {
  Reader r(payload, "prediction");
  r.floats(values, r.get<std::uint32_t>());
  r.finish();
}

std::vector<std::uint8_t> encode_sample(int id, const std::vector<float>& input,
                                        const std::vector<float>& target) {
  std::vector<std::uint8_t> out;
  put(out, static_cast<std::uint16_t>(id));
  put_floats(out, input);
  put_floats(out, target);
  return out;
}

int decode_sample(const std::vector<std::uint8_t>& payload, std::vector<float>& input,
                  std::vector<float>& target) {
  Reader r(payload, "sample");
  const int id = r.get<std::uint16_t>();
  r.floats(input, r.get<std::uint32_t>());
  r.floats(target, r.get<std::uint32_t>());
  r.finish();
  return id;
}

std::vector<std::uint8_t> encode_observe(const ObservePayload& o) {
  std::vector<std::uint8_t> out;
  out.reserve(40 + 2 * o.state.size() * sizeof(float));
  put(out, static_cast<std::uint16_t>(o.id));
  put_ints(out, o.action);
  put(out, o.reward);
  put(out, o.dt_s);
  put(out, static_cast<std::uint8_t>(o.done ? 1 : 0));
  put(out, static_cast<std::uint32_t>(o.state.size()));
  for (const auto* v : {&o.state, &o.next_state}) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(v->data());
    out.insert(out.end(), p, p + v->size() * sizeof(float));
  }
  return out;
}

void decode_observe(const std::vector<std::uint8_t>& payload, ObservePayload& o) {
  Reader r(payload, "observe");
  o.id = r.get<std::uint16_t>();
  o.action = get_ints(r);
  o.reward = r.get<double>();
  o.dt_s = r.get<double>();
  o.done = r.get<std::uint8_t>() != 0;
  const auto n = r.get<std::uint32_t>();
  r.floats(o.state, n);
  r.floats(o.next_state, n);
  r.finish();
}

std::vector<int> heads_of(const nlohmann::json& learner) {
  if (learner.is_object() && learner.contains("branches") && learner.at("branches").is_array())
    return learner.at("branches").get<std::vector<int>>();
  return {learner.is_object() ? learner.value("action_count", 0) : 0};
}

nlohmann::json to_json(const AgentRequest& request) {
  return {{"policy", request.policy},
          {"network", request.network_name()},
          {"learner", request.learner},
          {"state_names", request.state_names},
          {"action_names", request.action_names},
          {"checkpoint", request.checkpoint}};
}

AgentRequest request_from_json(const nlohmann::json& j) {
  AgentRequest r;
  try {
    r.policy = j.at("policy").get<std::string>();
    r.network = j.value("network", r.policy);
    r.learner = j.at("learner");
    r.state_names = j.at("state_names").get<std::vector<std::string>>();
    r.action_names = j.at("action_names").get<std::vector<std::string>>();
    r.checkpoint = j.value("checkpoint", "");
  } catch (const nlohmann::json::exception& e) {
    throw WireError(std::string("agent protocol: hello: ") + e.what());
  }
  return r;
}

RemoteAgent::RemoteAgent(std::shared_ptr<Channel> channel, const AgentRequest& request,
                         const nlohmann::json& run)
    : channel_(std::move(channel)), request_(request) {
  const auto kind = request.learner.is_object() ? request.learner.value("kind", std::string()) : "";
  supervised_ = kind == "supervised";
  if (supervised_) {
    outputs_ = request.learner.value("outputs", 0);
  } else {
    heads_ = heads_of(request.learner);
    action_count_ = request.learner.value("action_count", static_cast<int>(request.action_names.size()));
    if (heads_.size() == 1) heads_[0] = action_count_;
  }
  nlohmann::json hello = to_json(request);
  hello["run"] = run;
  hello["protocol"] = kProtocolVersion;
  channel_->send(Type::hello, encode_json(hello));
  const auto type = channel_->receive(buffer_);
  if (type != Type::welcome) {
    throw WireError(std::string("agent protocol: expected welcome from ") + channel_->peer() + ", got " +
                    to_string(type));
  }
  const auto welcome = decode_json(buffer_);
  if (welcome.contains("error")) {
    throw std::runtime_error(channel_->peer() + " refused network '" + request.network_name() +
                             "' of policy '" + request.policy +
                             "': " + welcome.at("error").get<std::string>());
  }
  learning_ = welcome.value("learning", false);
  id_ = welcome.value("id", 0);
}

int RemoteAgent::act(const std::vector<float>& state) {
  if (supervised_) throw std::logic_error("act() on supervised network '" + request_.network_name() + "'");
  channel_->send(Type::act, encode_state(id_, state));
  const auto type = channel_->receive(buffer_);
  if (type != Type::action) {
    throw WireError(std::string("agent protocol: expected action from ") + channel_->peer() + ", got " +
                    to_string(type));
  }
  const auto tuple = decode_action(buffer_);
  try {
    return common::joint_action(heads_, tuple);
  } catch (const std::exception& e) {
    throw WireError("agent protocol: " + channel_->peer() + " chose an action outside network '" +
                    request_.network_name() + "': " + e.what());
  }
}

void RemoteAgent::observe(const std::vector<float>& state, int action, double reward,
                          const std::vector<float>& next_state, bool done, double dt_s) {
  // Sent in evaluation too: the server keeps the return of every episode.
  ObservePayload o;
  o.id = id_;
  o.action = common::action_tuple(heads_, action);
  o.reward = reward;
  o.dt_s = dt_s;
  o.done = done;
  o.state = state;
  o.next_state = next_state;
  channel_->send(Type::observe, encode_observe(o));
}

std::vector<float> RemoteAgent::predict(const std::vector<float>& input) {
  if (!supervised_) return Agent::predict(input);
  channel_->send(Type::predict, encode_state(id_, input));
  const auto type = channel_->receive(buffer_);
  if (type != Type::prediction) {
    throw WireError(std::string("agent protocol: expected prediction from ") + channel_->peer() + ", got " +
                    to_string(type));
  }
  std::vector<float> out;
  decode_floats(buffer_, out);
  if (static_cast<int>(out.size()) != outputs_) {
    throw WireError("agent protocol: " + channel_->peer() + " answered " + std::to_string(out.size()) +
                    " outputs for network '" + request_.network_name() + "', expected " +
                    std::to_string(outputs_));
  }
  return out;
}

void RemoteAgent::sample(const std::vector<float>& input, const std::vector<float>& target) {
  if (!supervised_) return Agent::sample(input, target);
  if (!learning_) return;  // evaluation: nothing learns from it
  channel_->send(Type::sample, encode_sample(id_, input, target));
}

void send_end(Channel& channel, const nlohmann::json& summary) {
  channel.send(Type::end, encode_json(summary));
}

}  // namespace edgetwin::policies::wire
