// The board daemon over the link, against a fake Xavier NX: a full session, authentication,
// message limits, one client at a time, request validation, and restore on bye, SIGTERM, SIGINT
// and client loss. Each test starts its own daemon process on its own loopback port.

#include "edgetwin/hw/board_link.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "edgetwin/common/child_process.hpp"

#include "fake_root.hpp"
#include <zmq.hpp>

namespace {

namespace fs = std::filesystem;
using edgetwin::hw::BoardClient;
using edgetwin::hw::BoardClientOptions;
using edgetwin::hw::LinkError;

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = edgetwin::testing::make_test_root("edgetwin_boardd");
    edgetwin::hw::generate_link_keys((dir_ / "keys").string());
  }
  void TearDown() override {
    if (daemon_ && !daemon_->poll()) daemon_->terminate(5);
    daemon_.reset();
    fs::remove_all(dir_);
  }
  // Starts the daemon on a fake Xavier NX on a free loopback port; returns once it serves.
  void start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{
        EDGETWIN_BOARDD, "serve", "--keys", (dir_ / "keys").string(), "--fake", "xavier_nx",
        "--root",        root(),  "--bind", "tcp://127.0.0.1:*"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    edgetwin::common::ChildOptions options;
    options.log_path = (dir_ / "daemon.log").string();
    daemon_ = std::make_unique<edgetwin::common::ChildProcess>(argv, options);
    const std::string ready = "serving xavier_nx (FAKE board) on ";
    for (int i = 0; i < 200; ++i) {
      const std::string text = log();
      const auto at = text.find(ready);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        endpoint_ = text.substr(at + ready.size(), text.find('\n', at) - at - ready.size());
        return;
      }
      ASSERT_FALSE(daemon_->poll()) << log();
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << "daemon did not start: " << log();
  }
  std::string root() const { return (dir_ / "board").string(); }
  std::string log() const {
    std::ifstream in(dir_ / "daemon.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  BoardClientOptions client_options(double timeout_s = 5) const {
    BoardClientOptions o;
    o.endpoint = endpoint_;
    o.keys_dir = (dir_ / "keys").string();
    o.timeout_s = timeout_s;
    return o;
  }
  std::map<std::string, std::string> board_state() const {
    return edgetwin::testing::snapshot_tree(root(), false);
  }
  // Waits until the board's state equals `expected` (the daemon restores asynchronously).
  void expect_restored_to(const std::map<std::string, std::string>& expected, double within_s = 5) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(within_s);
    while (board_state() != expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(board_state(), expected) << log();
  }
  void set_low_clocks(BoardClient& client) {
    client.call("hello");
    const auto applied =
        client.call("set_clocks", {{"cpu_khz", 729600}, {"gpu_hz", 306000000}, {"emc_hz", 800000000}});
    EXPECT_EQ(applied["applied"]["gpu_hz"], 306000000);
  }

  fs::path dir_;
  std::string endpoint_;
  std::unique_ptr<edgetwin::common::ChildProcess> daemon_;
};

TEST(LinkKeys, OwnerOnlyFilesNoOverwriteAndModeChecked) {
  const auto dir = edgetwin::testing::make_test_root("edgetwin_keys");
  edgetwin::hw::generate_link_keys((dir / "k").string());
  for (const char* name : {"server.key", "server.pub", "client.key", "client.pub"}) {
    const auto perms = fs::status(dir / "k" / name).permissions();
    EXPECT_EQ(perms, fs::perms::owner_read | fs::perms::owner_write) << name;
  }
  EXPECT_EQ(edgetwin::hw::load_link_keys((dir / "k/server.key").string(), true).secret_z85.size(), 40U);
  EXPECT_THROW(edgetwin::hw::generate_link_keys((dir / "k").string()), std::runtime_error);
  fs::permissions(dir / "k/client.key", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  try {
    edgetwin::hw::load_link_keys((dir / "k/client.key").string(), true);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has mode 644; allowed: readable by its owner only"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

TEST_F(Daemon, SessionRunsUnitsAndByeRestores) {
  start();
  const auto boot = board_state();
  BoardClient client(client_options());
  const auto hello = client.call("hello", {{"client", "test"}});
  EXPECT_EQ(hello["board"], "xavier_nx");
  EXPECT_EQ(hello["fake"], true);
  const auto info = client.call("info");
  EXPECT_EQ(info["identity"]["soc"], "T194");
  EXPECT_EQ(info["cpu_policies"].size(), 3U);
  EXPECT_EQ(info["emc"]["kind"], "bpmp");
  set_low_clocks(client);
  const auto run =
      client.call("run_units", {{"model", "resnet18"}, {"first", 0}, {"last", 3}, {"repeats", 2}});
  ASSERT_EQ(run["units"].size(), 3U);
  for (const auto& row : run["units"]) {
    EXPECT_GT(row["latency_mean_s"].get<double>(), 0) << row;
    EXPECT_GT(row["energy_j"].get<double>(), 0) << row;
    EXPECT_EQ(row["repeats"], 2);
  }
  EXPECT_EQ(run["clocks"]["gpu_hz"], 306000000);
  EXPECT_NE(board_state(), boot);
  EXPECT_EQ(client.call("bye")["restored"], true);
  expect_restored_to(boot, 0.5);
}

// Power from tegrastats (--power tegrastats, the fallback where the INA3221 files cannot be read):
// a stand-in tegrastats prints VDD_IN 6 W every 20 ms; info names the source and a unit's energy
// is its latency times those 6 W.
TEST_F(Daemon, PowerFromTegrastatsWhenAsked) {
  const fs::path fake = dir_ / "tegrastats";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\nwhile true; do echo \"RAM 1/2MB VDD_IN 6000mW/6000mW VDD_CPU_GPU_CV 2000mW/2000mW "
         "VDD_SOC 1000mW/1000mW\"; sleep 0.02; done\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  start({"--power", "tegrastats", "--tegrastats", fake.string(), "--tegrastats-interval", "20",
         "--tegrastats-log", (dir_ / "tegrastats.log").string()});
  BoardClient client(client_options());
  client.call("hello");
  const auto info = client.call("info");
  EXPECT_EQ(info["power_source"], "tegrastats");
  EXPECT_DOUBLE_EQ(info["power_total_w"].get<double>(), 6.0);
  const auto run =
      client.call("run_units", {{"model", "resnet18"}, {"first", 0}, {"last", 1}, {"repeats", 1}});
  ASSERT_EQ(run["units"].size(), 1U);
  const auto& row = run["units"][0];
  EXPECT_NEAR(row["energy_j"].get<double>(), 6.0 * row["latency_mean_s"].get<double>(),
              1e-6 * row["energy_j"].get<double>())
      << row;
  client.call("bye");
}

TEST_F(Daemon, UnauthenticatedClientsAreRefused) {
  start();
  // A client with a key pair the daemon does not know (but the right server key).
  edgetwin::hw::generate_link_keys((dir_ / "other").string());
  fs::remove(dir_ / "other/server.pub");
  fs::copy_file(dir_ / "keys/server.pub", dir_ / "other/server.pub");
  auto options = client_options(1);
  options.keys_dir = (dir_ / "other").string();
  BoardClient stranger(options);
  try {
    stranger.call("hello");
    FAIL() << "an unknown client key was served";
  } catch (const LinkError& e) {
    EXPECT_TRUE(e.timeout()) << e.what();
  }
  // A client without CURVE at all.
  zmq::context_t context;
  zmq::socket_t plain(context, zmq::socket_type::dealer);
  plain.set(zmq::sockopt::linger, 0);
  plain.set(zmq::sockopt::rcvtimeo, 1000);
  plain.connect(endpoint_);
  plain.send(zmq::str_buffer("{\"v\":1,\"id\":1,\"op\":\"hello\"}"), zmq::send_flags::dontwait);
  zmq::message_t reply;
  EXPECT_FALSE(plain.recv(reply));
  EXPECT_NE(log().find("refused a client"), std::string::npos) << log();
  // The rightful client is still served.
  BoardClient client(client_options());
  EXPECT_EQ(client.call("hello")["board"], "xavier_nx");
}

TEST_F(Daemon, OversizedMessagesAreDropped) {
  start({"--max-message-bytes", "4096"});
  {
    BoardClient big(client_options(1));
    try {
      big.call_raw("{\"v\":1,\"id\":1,\"op\":\"hello\",\"client\":\"" + std::string(10000, 'x') + "\"}");
      FAIL() << "an oversized message was answered";
    } catch (const LinkError& e) {
      EXPECT_TRUE(e.timeout()) << e.what();
    }
  }
  BoardClient client(client_options());
  EXPECT_EQ(client.call("hello", {{"client", std::string(3000, 'y')}})["board"], "xavier_nx");
}

TEST_F(Daemon, OneClientAtATimeAndRequestsAreValidated) {
  start();
  BoardClient first(client_options());
  first.call("hello");
  BoardClient second(client_options());
  auto refused = [](BoardClient& c, const std::string& op, const nlohmann::json& fields) {
    try {
      c.call(op, fields);
    } catch (const LinkError& e) {
      EXPECT_FALSE(e.timeout());
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(refused(second, "hello", nlohmann::json::object()).find("busy: another client holds the board"),
            std::string::npos);
  EXPECT_NE(refused(first, "frobnicate", nlohmann::json::object()).find("/op"), std::string::npos);
  EXPECT_NE(refused(first, "set_clocks", {{"gpu_hz", 306000001}})
                .find("gpu_hz 306000001 is not in the board's devfreq table. allowed: 114750000, "),
            std::string::npos);
  EXPECT_NE(refused(first, "set_clocks", {{"gpu_mhz", 306}}).find("gpu_mhz"), std::string::npos);
  EXPECT_NE(refused(first, "run_units", {{"model", "resnet18"}, {"first", 0}, {"last", 99}}).find("/last"),
            std::string::npos);
  const std::string raw = first.call_raw("{\"v\":2,\"id\":7,\"op\":\"info\"}");
  EXPECT_NE(raw.find("protocol version 2; this daemon speaks version 1"), std::string::npos) << raw;
  EXPECT_NE(first.call_raw("not json").find("request is not JSON"), std::string::npos);
}

TEST_F(Daemon, SigtermRestoresTheBoard) {
  start();
  const auto boot = board_state();
  BoardClient client(client_options());
  set_low_clocks(client);
  EXPECT_NE(board_state(), boot);
  daemon_->signal(SIGTERM);
  const auto status = daemon_->wait();
  EXPECT_EQ(status.exit_code, 0) << status.describe() << log();
  EXPECT_NE(log().find("board restored (signal)"), std::string::npos) << log();
  EXPECT_EQ(board_state(), boot);
}

TEST_F(Daemon, SigintRestoresTheBoard) {
  start();
  const auto boot = board_state();
  BoardClient client(client_options());
  set_low_clocks(client);
  daemon_->signal(SIGINT);
  EXPECT_EQ(daemon_->wait().exit_code, 0) << log();
  EXPECT_EQ(board_state(), boot);
}

TEST_F(Daemon, ClientLossRestoresTheBoardAndFreesIt) {
  start({"--client-timeout", "0.5"});
  const auto boot = board_state();
  {
    BoardClient client(client_options());
    set_low_clocks(client);
    EXPECT_NE(board_state(), boot);
  }  // the client vanishes without bye
  expect_restored_to(boot, 3);
  EXPECT_NE(log().find("client lost"), std::string::npos) << log();
  BoardClient next(client_options());
  EXPECT_EQ(next.call("hello")["board"], "xavier_nx");
}

}  // namespace
