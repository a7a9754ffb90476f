#include "edgetwin/hw/tegrastats_power.hpp"

#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <thread>

#include "edgetwin/hw/thermal_zones.hpp"

namespace edgetwin::hw {

TegrastatsPower::TegrastatsPower(const std::string& command, int interval_ms, const std::string& log_path,
                                 const traces::Board& board, double first_line_s)
    : board_(&board), log_path_(log_path) {
  if (interval_ms < 1)
    throw std::invalid_argument("tegrastats interval: found " + std::to_string(interval_ms) +
                                " ms, allowed >= 1");
  last_.total_w = std::numeric_limits<double>::quiet_NaN();
  child_ = std::make_unique<common::ChildProcess>(
      std::vector<std::string>{command, "--interval", std::to_string(interval_ms)},
      common::ChildOptions{log_path, true, -1});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(first_line_s);
  while (!follow() || std::isnan(last_.total_w)) {
    if (const auto status = child_->poll()) {
      throw std::runtime_error(command + " ended (" + status->describe() + ") before giving the power of " +
                               board.id + "; its output is in " + log_path);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      child_->terminate(1.0);
      throw std::runtime_error(
          command + " gave no line with the whole-module power of " + board.id + " (" +
          (board.total_rail.empty() ? "the sum of its rails" : "rail " + board.total_rail) + ") within " +
          std::to_string(first_line_s) + " s; its output is in " + log_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(interval_ms, 20)));
  }
}

TegrastatsPower::~TegrastatsPower() {
  if (child_) child_->terminate(1.0);
}

bool TegrastatsPower::follow() {
  // One stream, kept open: after its end-of-file it reads what tegrastats appended since.
  if (!in_.is_open()) {
    in_.open(log_path_, std::ios::binary);
    if (!in_.is_open()) return false;
  }
  in_.clear();
  partial_.append(std::istreambuf_iterator<char>(in_), std::istreambuf_iterator<char>());
  bool fresh = false;
  for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
    const std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    const TegrastatsSample s = parse_tegrastats_line(line);
    const double total = tegrastats_total_w(s, *board_);
    if (std::isnan(total)) continue;
    ++lines_;
    last_.total_w = total;
    last_.rails_w.clear();
    for (const traces::Rail& rail : board_->rails) {
      const auto it = s.rails_mw.find(rail.name);
      last_.rails_w.push_back(it == s.rails_mw.end() ? std::numeric_limits<double>::quiet_NaN()
                                                     : it->second / 1000.0);
    }
    fresh = true;
  }
  return fresh;
}

PowerSample TegrastatsPower::read() {
  follow();
  return last_;
}

}  // namespace edgetwin::hw
