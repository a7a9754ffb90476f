#include "edgetwin/hw/board_link.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <zmq.hpp>

namespace edgetwin::hw {

namespace fs = std::filesystem;

namespace {

void write_key_file(const fs::path& path, const std::string& text) {
  // Created with 0600 from the start (umask cannot widen it), never over an existing file.
  const mode_t old_mask = ::umask(077);
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  ::umask(old_mask);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot write the key file");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

}  // namespace

void generate_link_keys(const std::string& dir) {
  const fs::path base(dir);
  for (const char* name : {"server.key", "server.pub", "client.key", "client.pub"}) {
    if (fs::exists(base / name)) {
      throw std::runtime_error((base / name).string() +
                               ": exists already; remove the old keys first (nothing was written)");
    }
  }
  fs::create_directories(base);
  fs::permissions(base, fs::perms::owner_all, fs::perm_options::replace);
  for (const char* side : {"server", "client"}) {
    std::array<char, 41> pub{};
    std::array<char, 41> sec{};
    if (zmq_curve_keypair(pub.data(), sec.data()) != 0) {
      throw std::runtime_error("zmq_curve_keypair failed: this libzmq has no CURVE support (" +
                               std::string(zmq_strerror(zmq_errno())) + ")");
    }
    write_key_file(base / (std::string(side) + ".key"),
                   "public " + std::string(pub.data()) + "\nsecret " + std::string(sec.data()) + "\n");
    write_key_file(base / (std::string(side) + ".pub"), "public " + std::string(pub.data()) + "\n");
  }
}

CurveKeys load_link_keys(const std::string& path, bool need_secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error(path +
                             ": key file not found (make keys with: edgetwin-boardd keygen --out DIR)");
  std::ifstream in(path);
  CurveKeys keys;
  std::string word;
  std::string value;
  while (in >> word >> value) {
    if (value.size() != 40) throw std::runtime_error(path + ": " + word + " key is not 40 Z85 characters");
    if (word == "public") {
      keys.public_z85 = value;
    } else if (word == "secret") {
      keys.secret_z85 = value;
    } else {
      throw std::runtime_error(path + ": unknown line '" + word + "'; allowed: public, secret");
    }
  }
  if (keys.public_z85.empty()) throw std::runtime_error(path + ": no public key");
  if (need_secret && keys.secret_z85.empty()) throw std::runtime_error(path + ": no secret key");
  if (!keys.secret_z85.empty() && (st.st_mode & 077) != 0) {
    std::ostringstream mode;
    mode << std::oct << (st.st_mode & 0777);
    throw std::runtime_error(path + ": holds a secret key but has mode " + mode.str() +
                             "; allowed: readable by its owner only (chmod 600 " + path + ")");
  }
  return keys;
}

struct BoardClient::Impl {
  zmq::context_t context;
  zmq::socket_t socket{context, zmq::socket_type::dealer};
};

BoardClient::BoardClient(const BoardClientOptions& options)
    : impl_(std::make_unique<Impl>()), timeout_s_(options.timeout_s) {
  const CurveKeys client = load_link_keys((fs::path(options.keys_dir) / "client.key").string(), true);
  const CurveKeys server = load_link_keys((fs::path(options.keys_dir) / "server.pub").string(), false);
  zmq::socket_t& s = impl_->socket;
  s.set(zmq::sockopt::curve_serverkey, server.public_z85);
  s.set(zmq::sockopt::curve_publickey, client.public_z85);
  s.set(zmq::sockopt::curve_secretkey, client.secret_z85);
  s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options.max_message_bytes));
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(options.timeout_s * 1000));
  s.set(zmq::sockopt::sndtimeo, static_cast<int>(options.timeout_s * 1000));
  s.connect(options.endpoint);
}

BoardClient::~BoardClient() = default;

namespace {

std::string receive(zmq::socket_t& s, double timeout_s) {
  zmq::message_t reply;
  if (!s.recv(reply, zmq::recv_flags::none)) {
    throw LinkError("board link: no response within " + std::to_string(timeout_s) +
                        " s (daemon not running, unreachable, or it refused this client's key or message)",
                    true);
  }
  return reply.to_string();
}

void send(zmq::socket_t& s, const std::string& bytes, double timeout_s) {
  if (!s.send(zmq::buffer(bytes), zmq::send_flags::none)) {
    throw LinkError("board link: sending timed out after " + std::to_string(timeout_s) + " s", true);
  }
}

}  // namespace

std::string BoardClient::call_raw(const std::string& bytes) {
  send(impl_->socket, bytes, timeout_s_);
  return receive(impl_->socket, timeout_s_);
}

nlohmann::json BoardClient::call(const std::string& op, const nlohmann::json& fields) {
  nlohmann::json request = fields;
  request["v"] = kLinkProtocolVersion;
  request["op"] = op;
  const std::int64_t id = next_id_++;
  request["id"] = id;
  send(impl_->socket, request.dump(), timeout_s_);
  for (;;) {
    const std::string text = receive(impl_->socket, timeout_s_);
    nlohmann::json response;
    try {
      response = nlohmann::json::parse(text);
    } catch (const std::exception& e) {
      throw LinkError("board link: malformed response to '" + op + "': " + e.what(), false);
    }
    if (!response.is_object() || !response.contains("ok") || !response["ok"].is_boolean()) {
      throw LinkError("board link: response to '" + op + "' lacks \"ok\"", false);
    }
    // A late response to an earlier request that timed out: skip it.
    if (response.contains("id") && response["id"].is_number_integer() &&
        response["id"].get<std::int64_t>() < id) {
      continue;
    }
    if (!response["ok"].get<bool>()) {
      throw LinkError(
          "board daemon refused '" + op + "': " + response.value("error", std::string("(no reason)")), false);
    }
    return response;
  }
}

}  // namespace edgetwin::hw
