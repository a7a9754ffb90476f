// edgetwin-boardd: the board daemon (docs/hil.md). Exit codes: 0 success (also after SIGINT or
// SIGTERM once the board is restored), 1 failure (board files, link, or a failed restore),
// 2 bad command line, 3 malformed catalog data.

#include <atomic>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "edgetwin/common/error.hpp"
#include "edgetwin/hw/fake_board.hpp"
#include "edgetwin/traces/catalog.hpp"

#include "board_daemon.hpp"

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int /*signal*/) {
  g_stop = true;
}

constexpr const char* kUsage =
    "usage: edgetwin-boardd <command> [options]\n"
    "\n"
    "commands:\n"
    "  keygen --out DIR        write server.key, server.pub, client.key, client.pub (mode 0600)\n"
    "  fake --board ID --root DIR\n"
    "                          build a FAKE board's sysfs/debugfs tree under DIR and exit\n"
    "  serve --keys DIR [options]\n"
    "                          serve one client at a time over the board link (CURVE)\n"
    "\n"
    "serve options:\n"
    "  --bind ENDPOINT         default tcp://127.0.0.1:5557 (loopback only)\n"
    "  --root DIR              board root, default / (sysfs, debugfs, procfs below it)\n"
    "  --board ID|auto         catalog board, default auto (from the device tree)\n"
    "  --fake ID               build a FAKE board of catalog board ID under --root and serve it\n"
    "                          (fake kernel thread, fake executor); --root is required then\n"
    "  --data DIR              catalog directory (default: the bundled one)\n"
    "  --client-timeout S      a client silent for S seconds is lost: board restored (default 10)\n"
    "  --max-message-bytes N   larger messages are dropped (default 1048576)\n"
    "  --sample-period S       power sampling period (default 0.005)\n"
    "  --min-window S          profile mode: repeat a unit until its window spans S (default 0.1)\n"
    "  --executor PATH         run units with edgetwin-executor (libtorch, RANDOM weights); without\n"
    "                          it only --fake boards run units (the fake executor)\n"
    "  --executor-log FILE     the executor's output (default edgetwin-executor.log)\n"
    "  --power auto|ina3221|tegrastats  where power comes from (default auto: the INA3221 files, else\n"
    "                          tegrastats when it exists)\n"
    "  --tegrastats CMD        the tegrastats command (default /usr/bin/tegrastats)\n"
    "  --tegrastats-interval MS  its interval (default 100)\n"
    "  --tegrastats-log FILE   its output (default edgetwin-tegrastats.log)\n"
    "\n"
    "exit codes: 0 success (also after SIGINT/SIGTERM, board restored), 1 failure, 2 bad command\n"
    "line, 3 malformed catalog data\n";

int usage_error(const std::string& message) {
  std::cerr << "error: " << message << "\nsee: edgetwin-boardd --help\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  std::map<std::string, std::string> opts;
  const std::map<std::string, std::vector<std::string>> allowed{
      {"keygen", {"--out"}},
      {"fake", {"--board", "--root", "--data"}},
      {"serve",
       {"--keys", "--bind", "--root", "--board", "--fake", "--data", "--client-timeout",
        "--max-message-bytes", "--sample-period", "--min-window", "--executor", "--executor-log", "--power",
        "--tegrastats", "--tegrastats-interval", "--tegrastats-log"}}};
  const auto known = allowed.find(command);
  if (known == allowed.end())
    return usage_error("unknown command '" + command + "'. commands: keygen, fake, serve");
  for (std::size_t i = 1; i < args.size(); i += 2) {
    const std::string& key = args[i];
    if (std::find(known->second.begin(), known->second.end(), key) == known->second.end()) {
      std::string list;
      for (const std::string& k : known->second) list += (list.empty() ? "" : ", ") + k;
      return usage_error("unknown option '" + key + "' for " + command + ". allowed: " + list);
    }
    if (i + 1 >= args.size()) return usage_error(key + " needs a value");
    opts[key] = args[i + 1];
  }
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = opts.find(key);
    return it == opts.end() ? fallback : it->second;
  };
  auto number = [&](const std::string& key, double fallback, double min) {
    const std::string text = get(key, "");
    if (text.empty()) return fallback;
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || !(value >= min)) {
      throw std::invalid_argument(key + " must be a number >= " + std::to_string(min) + ", found '" + text +
                                  "'");
    }
    return value;
  };
  const std::string data_dir = get("--data", edgetwin::traces::default_data_dir());
  try {
    if (command == "keygen") {
      if (get("--out", "").empty()) return usage_error("keygen needs --out DIR");
      edgetwin::hw::generate_link_keys(get("--out", ""));
      std::cout << "edgetwin-boardd: wrote server.key, server.pub, client.key, client.pub to "
                << get("--out", "")
                << " (mode 0600). The board keeps server.key and client.pub; the host keeps client.key and "
                   "server.pub.\n";
      return 0;
    }
    if (command == "fake") {
      if (get("--board", "").empty() || get("--root", "").empty())
        return usage_error("fake needs --board ID and --root DIR");
      const auto catalog = edgetwin::traces::Catalog::load(data_dir);
      if (!catalog.has_board(get("--board", ""))) {
        return usage_error("unknown board \"" + get("--board", "") + "\". fake boards: " + [] {
          std::string l;
          for (const auto& id : edgetwin::hw::fake_board_ids()) l += (l.empty() ? "" : ", ") + id;
          return l;
        }());
      }
      edgetwin::hw::build_fake_board(catalog.board(get("--board", "")), get("--root", ""));
      std::cout << "edgetwin-boardd: FAKE " << get("--board", "") << " board written under "
                << get("--root", "") << "\n";
      return 0;
    }
    edgetwin::hw::DaemonOptions options;
    options.keys_dir = get("--keys", "");
    if (options.keys_dir.empty())
      return usage_error("serve needs --keys DIR (make them with: edgetwin-boardd keygen --out DIR)");
    options.endpoint = get("--bind", options.endpoint);
    options.root = get("--root", "/");
    options.board = get("--board", "auto");
    options.fake = get("--fake", "");
    if (!options.fake.empty() && get("--root", "").empty())
      return usage_error("--fake needs --root DIR (the fake tree's directory)");
    options.data_dir = data_dir;
    options.client_timeout_s = number("--client-timeout", options.client_timeout_s, 0.05);
    options.max_message_bytes = static_cast<std::size_t>(number("--max-message-bytes", 1048576, 256));
    options.sample_period_s = number("--sample-period", options.sample_period_s, 0.0005);
    options.min_window_s = number("--min-window", options.min_window_s, 0);
    options.executor = get("--executor", "");
    options.executor_log = get("--executor-log", options.executor_log);
    options.power = get("--power", options.power);
    if (options.power != "auto" && options.power != "ina3221" && options.power != "tegrastats")
      return usage_error("--power: found '" + options.power + "', allowed: auto, ina3221, tegrastats");
    options.tegrastats = get("--tegrastats", options.tegrastats);
    options.tegrastats_interval_ms = static_cast<int>(number("--tegrastats-interval", 100, 1));
    options.tegrastats_log = get("--tegrastats-log", options.tegrastats_log);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    edgetwin::hw::BoardDaemon daemon(options);
    return daemon.serve(g_stop);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  } catch (const edgetwin::common::DataError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
