#pragma once
/// The board link: requests from a host (`edgetwin run` with a hardware device, `edgetwin
/// profile`) to the board daemon `edgetwin-boardd`, over ZeroMQ (DEALER -> ROUTER) with CURVE
/// authentication and encryption. Messages are versioned JSON objects, validated on arrival, at
/// most a configured size. Protocol and operations: docs/hil.md, "The board link".

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace edgetwin::hw {

/// Version of the link's messages ("v" of every request and response).
inline constexpr int kLinkProtocolVersion = 1;
/// Largest message either side accepts unless configured otherwise (bytes).
inline constexpr std::size_t kDefaultMaxMessageBytes = 1 << 20;
/// The daemon's default endpoint: loopback only.
inline constexpr const char* kDefaultBoardEndpoint = "tcp://127.0.0.1:5557";

/// A failed link operation: timeout (the daemon is gone, or refused the client's key), a refused
/// request (the daemon's error text), or a malformed response.
class LinkError : public std::runtime_error {
 public:
  LinkError(const std::string& what, bool timeout) : std::runtime_error(what), timeout_(timeout) {}
  bool timeout() const { return timeout_; }

 private:
  bool timeout_;
};

/// One CURVE key pair in ZeroMQ's Z85 text (40 characters each); secret empty for a public file.
struct CurveKeys {
  std::string public_z85;
  std::string secret_z85;
};

/// Writes a fresh server and client key pair into `dir` (created with mode 0700): server.key and
/// client.key (public and secret), server.pub and client.pub (public), each with mode 0600.
/// Throws std::runtime_error if a key file exists already (nothing is overwritten).
void generate_link_keys(const std::string& dir);
/// Reads a key file. A file holding a secret key must not be readable by group or others.
/// Throws std::runtime_error naming the file and the problem.
CurveKeys load_link_keys(const std::string& path, bool need_secret);

/// How a client reaches the daemon.
struct BoardClientOptions {
  std::string endpoint = kDefaultBoardEndpoint;
  std::string keys_dir;   ///< holds client.key and server.pub
  double timeout_s = 10;  ///< per request
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
};

/// A client of the board daemon. Not thread-safe; one request at a time.
class BoardClient {
 public:
  explicit BoardClient(const BoardClientOptions& options);
  ~BoardClient();
  BoardClient(const BoardClient&) = delete;
  BoardClient& operator=(const BoardClient&) = delete;

  /// Sends {"v", "id", "op", ...fields} and returns the matching response's fields. Throws
  /// LinkError on timeout, on a refusal ({"ok": false, "error": ...}) or a malformed response.
  nlohmann::json call(const std::string& op, const nlohmann::json& fields = nlohmann::json::object());
  /// Sends raw bytes (tests: oversized and malformed messages) and waits for any response.
  std::string call_raw(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double timeout_s_;
  std::int64_t next_id_ = 1;
};

}  // namespace edgetwin::hw
