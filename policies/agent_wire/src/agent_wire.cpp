// The agent protocol (agent_wire.hpp): framing over a file descriptor and the client agent.

#include "edgetwin/agent_wire/agent_wire.hpp"

#include <cerrno>
#include <cstring>
#include <limits>

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
  if (header[0] < 1 || header[0] > 6 || size > kMaxPayload) {
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

std::vector<std::uint8_t> encode_state(const std::vector<float>& state) {
  std::vector<std::uint8_t> out;
  out.reserve(4 + state.size() * sizeof(float));
  put(out, static_cast<std::uint32_t>(state.size()));
  const auto* p = reinterpret_cast<const std::uint8_t*>(state.data());
  out.insert(out.end(), p, p + state.size() * sizeof(float));
  return out;
}

void decode_state(const std::vector<std::uint8_t>& payload, std::vector<float>& state) {
  Reader r(payload, "act");
  r.floats(state, r.get<std::uint32_t>());
  r.finish();
}

std::vector<std::uint8_t> encode_action(int action) {
  std::vector<std::uint8_t> out;
  put(out, static_cast<std::int32_t>(action));
  return out;
}

int decode_action(const std::vector<std::uint8_t>& payload) {
  Reader r(payload, "action");
  const auto a = r.get<std::int32_t>();
  r.finish();
  return a;
}

std::vector<std::uint8_t> encode_observe(const ObservePayload& o) {
  std::vector<std::uint8_t> out;
  out.reserve(32 + 2 * o.state.size() * sizeof(float));
  put(out, static_cast<std::int32_t>(o.action));
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
  o.action = r.get<std::int32_t>();
  o.reward = r.get<double>();
  o.dt_s = r.get<double>();
  o.done = r.get<std::uint8_t>() != 0;
  const auto n = r.get<std::uint32_t>();
  r.floats(o.state, n);
  r.floats(o.next_state, n);
  r.finish();
}

nlohmann::json to_json(const AgentRequest& request) {
  return {{"policy", request.policy},
          {"learner", request.learner},
          {"state_names", request.state_names},
          {"action_names", request.action_names},
          {"checkpoint", request.checkpoint}};
}

AgentRequest request_from_json(const nlohmann::json& j) {
  AgentRequest r;
  try {
    r.policy = j.at("policy").get<std::string>();
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
    : channel_(std::move(channel)),
      request_(request),
      action_count_(static_cast<int>(request.action_names.size())) {
  nlohmann::json hello = to_json(request);
  hello["run"] = run;
  channel_->send(Type::hello, encode_json(hello));
  const auto type = channel_->receive(buffer_);
  if (type != Type::welcome) {
    throw WireError(std::string("agent protocol: expected welcome from ") + channel_->peer() + ", got " +
                    to_string(type));
  }
  const auto welcome = decode_json(buffer_);
  if (welcome.contains("error")) {
    throw std::runtime_error(channel_->peer() + " refused policy '" + request.policy +
                             "': " + welcome.at("error").get<std::string>());
  }
  learning_ = welcome.value("learning", false);
}

int RemoteAgent::act(const std::vector<float>& state) {
  channel_->send(Type::act, encode_state(state));
  const auto type = channel_->receive(buffer_);
  if (type != Type::action) {
    throw WireError(std::string("agent protocol: expected action from ") + channel_->peer() + ", got " +
                    to_string(type));
  }
  const int action = decode_action(buffer_);
  if (action < 0 || action >= action_count_) {
    throw WireError("agent protocol: " + channel_->peer() + " chose action " + std::to_string(action) +
                    " of " + std::to_string(action_count_));
  }
  return action;
}

void RemoteAgent::observe(const std::vector<float>& state, int action, double reward,
                          const std::vector<float>& next_state, bool done, double dt_s) {
  // Sent in evaluation too: the server keeps the return of every episode.
  ObservePayload o;
  o.action = action;
  o.reward = reward;
  o.dt_s = dt_s;
  o.done = done;
  o.state = state;
  o.next_state = next_state;
  channel_->send(Type::observe, encode_observe(o));
}

void RemoteAgent::end(const nlohmann::json& summary) {
  if (ended_) return;
  ended_ = true;
  channel_->send(Type::end, encode_json(summary));
}

}  // namespace edgetwin::policies::wire
