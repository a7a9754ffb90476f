#include "edgetwin/hw/board_control.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "edgetwin/common/strings.hpp"

namespace edgetwin::hw {

namespace {

bool contains(const std::vector<std::int64_t>& table, std::int64_t value) {
  return std::binary_search(table.begin(), table.end(), value);
}

std::string table_text(const std::vector<std::int64_t>& table) {
  std::vector<std::string> items;
  for (std::int64_t v : table) items.push_back(std::to_string(v));
  return common::join(items, ", ");
}

std::string emc_rate_file(const EmcControl& emc) {
  return join_path(emc.dir, emc.kind == EmcKind::bpmp ? "rate" : "clk_update_rate");
}
std::string emc_lock_file(const EmcControl& emc) {
  return join_path(emc.dir, emc.kind == EmcKind::bpmp ? "mrq_rate_locked" : "clk_state");
}
std::string emc_read_file(const EmcControl& emc) {
  return join_path(emc.dir, emc.kind == EmcKind::bpmp ? "rate" : "clk_rate");
}

}  // namespace

std::int64_t nearest_at_or_below(const std::vector<std::int64_t>& table, std::int64_t value) {
  if (table.empty()) return 0;
  auto it = std::upper_bound(table.begin(), table.end(), value);
  return it == table.begin() ? table.front() : *std::prev(it);
}

BoardControl::BoardControl(Sysfs& sysfs, BoardLayout layout) : sysfs_(sysfs), layout_(std::move(layout)) {
  // Restore order: governors, then min/max (set_range orders them), then the EMC rate before its lock.
  for (const CpuPolicy& policy : layout_.cpu_policies) {
    for (const char* name : {"scaling_governor", "scaling_min_freq", "scaling_max_freq"}) {
      writable_.push_back(join_path(policy.dir, name));
    }
  }
  if (!layout_.gpu.dir.empty()) {
    for (const char* name : {"governor", "min_freq", "max_freq"})
      writable_.push_back(join_path(layout_.gpu.dir, name));
  }
  if (layout_.emc.kind == EmcKind::bpmp) {
    writable_.push_back(emc_rate_file(layout_.emc));
    writable_.push_back(emc_lock_file(layout_.emc));
  } else if (layout_.emc.kind == EmcKind::t210_override) {
    writable_.push_back(emc_rate_file(layout_.emc));
    writable_.push_back(emc_lock_file(layout_.emc));
  }
  for (const std::string& file : writable_) sysfs_.allow_write(file);
}

SavedState BoardControl::read_state() const {
  SavedState state;
  for (const std::string& file : writable_) {
    // The T210 override's update file is write-only in effect: its rate is read from clk_rate.
    const bool t210_rate = layout_.emc.kind == EmcKind::t210_override && file == emc_rate_file(layout_.emc);
    const std::string source = t210_rate ? emc_read_file(layout_.emc) : file;
    auto text = sysfs_.read_raw(source);  // written back byte for byte
    if (!text) throw SysfsError(sysfs_.path(source), "cannot read the state to save");
    state.files.emplace_back(file, *text);
  }
  return state;
}

void BoardControl::save() {
  if (saved_) return;
  saved_state_ = read_state();
  saved_ = true;
}

// The kernel may apply a write asynchronously (the T210 override updates clk_rate after
// clk_state): poll until the value reads back or the timeout ends.
void BoardControl::check_readback(const std::string& file, std::int64_t expected) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(readback_timeout_s_);
  std::int64_t actual = sysfs_.read_int(file);
  while (actual != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    actual = sysfs_.read_int(file);
  }
  if (actual != expected) {
    throw ClockError(sysfs_.path(file) + ": wrote " + std::to_string(expected) + ", reads back " +
                     std::to_string(actual));
  }
}

// Raise max before min, lower min before max: never a moment with min > max. The texts are
// written as given (restore writes back the saved bytes).
void BoardControl::set_range(const std::string& min_file, const std::string& max_file,
                             const std::string& min_text, const std::string& max_text) {
  const std::int64_t current_max = sysfs_.read_int(max_file);
  if (std::stoll(min_text) > current_max) {
    sysfs_.write(max_file, max_text);
    sysfs_.write(min_file, min_text);
  } else {
    sysfs_.write(min_file, min_text);
    sysfs_.write(max_file, max_text);
  }
}

AppliedClocks BoardControl::set_clocks(const traces::ClockSetting& clocks) {
  // Validate every domain before writing anything.
  if (clocks.cpu_khz != 0) {
    bool listed = layout_.cpu_policies.empty();
    for (const CpuPolicy& policy : layout_.cpu_policies)
      listed = listed || contains(policy.freqs_khz, clocks.cpu_khz);
    if (!listed || layout_.cpu_policies.empty()) {
      throw ClockError("cpu_khz " + std::to_string(clocks.cpu_khz) +
                       " is not in the board's cpufreq tables. allowed: " +
                       (layout_.cpu_policies.empty() ? std::string("none (no cpufreq policy found)")
                                                     : table_text(layout_.cpu_policies.front().freqs_khz)));
    }
  }
  if (clocks.gpu_hz != 0 && (layout_.gpu.dir.empty() || !contains(layout_.gpu.freqs_hz, clocks.gpu_hz))) {
    throw ClockError("gpu_hz " + std::to_string(clocks.gpu_hz) +
                     " is not in the board's devfreq table. allowed: " +
                     (layout_.gpu.dir.empty() ? std::string("none (no GPU devfreq node found)")
                                              : table_text(layout_.gpu.freqs_hz)));
  }
  if (clocks.emc_hz != 0 &&
      (layout_.emc.kind == EmcKind::none || !contains(layout_.emc.freqs_hz, clocks.emc_hz))) {
    throw ClockError("emc_hz " + std::to_string(clocks.emc_hz) + " is not an allowed EMC rate. allowed: " +
                     (layout_.emc.kind == EmcKind::none ? std::string("none (no EMC control found)")
                                                        : table_text(layout_.emc.freqs_hz)));
  }
  save();
  AppliedClocks applied;
  applied.requested = clocks;
  for (const CpuPolicy& policy : layout_.cpu_policies) {
    const std::string min_file = join_path(policy.dir, "scaling_min_freq");
    const std::string max_file = join_path(policy.dir, "scaling_max_freq");
    if (clocks.cpu_khz != 0) {
      const std::int64_t value = nearest_at_or_below(policy.freqs_khz, clocks.cpu_khz);
      set_range(min_file, max_file, std::to_string(value), std::to_string(value));
      check_readback(min_file, value);
      check_readback(max_file, value);
    }
    applied.cpu_khz.push_back(sysfs_.read_int(max_file));
  }
  if (!layout_.gpu.dir.empty()) {
    const std::string min_file = join_path(layout_.gpu.dir, "min_freq");
    const std::string max_file = join_path(layout_.gpu.dir, "max_freq");
    if (clocks.gpu_hz != 0) {
      set_range(min_file, max_file, std::to_string(clocks.gpu_hz), std::to_string(clocks.gpu_hz));
      check_readback(min_file, clocks.gpu_hz);
      check_readback(max_file, clocks.gpu_hz);
    }
    applied.gpu_hz = sysfs_.read_int(max_file);
  }
  if (layout_.emc.kind != EmcKind::none) {
    if (clocks.emc_hz != 0) {
      if (layout_.emc.kind == EmcKind::bpmp) {
        sysfs_.write(emc_lock_file(layout_.emc), 1);
        sysfs_.write(emc_rate_file(layout_.emc), clocks.emc_hz);
      } else {
        sysfs_.write(emc_rate_file(layout_.emc), clocks.emc_hz);
        sysfs_.write(emc_lock_file(layout_.emc), 1);
      }
      check_readback(emc_read_file(layout_.emc), clocks.emc_hz);
    }
    applied.emc_hz = sysfs_.read_int(emc_read_file(layout_.emc));
  }
  return applied;
}

traces::ClockSetting BoardControl::current_clocks() const {
  traces::ClockSetting now;
  if (!layout_.cpu_policies.empty()) {
    now.cpu_khz = sysfs_.read_int(join_path(layout_.cpu_policies.front().dir, "scaling_cur_freq"));
  }
  if (!layout_.gpu.dir.empty()) now.gpu_hz = sysfs_.read_int(join_path(layout_.gpu.dir, "cur_freq"));
  if (layout_.emc.kind != EmcKind::none) now.emc_hz = sysfs_.read_int(emc_read_file(layout_.emc));
  return now;
}

std::vector<std::string> BoardControl::restore() noexcept {
  std::vector<std::string> failed;
  if (!saved_) return failed;
  auto value_of = [&](const std::string& file) -> const std::string* {
    for (const auto& [path, text] : saved_state_.files) {
      if (path == file) return &text;
    }
    return nullptr;
  };
  auto attempt = [&](const std::string& what, auto&& action) {
    try {
      action();
    } catch (const std::exception& e) {
      failed.push_back(what + ": " + e.what());
    }
  };
  auto restore_range = [&](const std::string& dir, const char* min_name, const char* max_name) {
    const std::string min_file = join_path(dir, min_name);
    const std::string max_file = join_path(dir, max_name);
    const std::string* min_text = value_of(min_file);
    const std::string* max_text = value_of(max_file);
    if (min_text == nullptr || max_text == nullptr) return;
    attempt(min_file, [&] { set_range(min_file, max_file, *min_text, *max_text); });
  };
  for (const CpuPolicy& policy : layout_.cpu_policies) {
    const std::string governor = join_path(policy.dir, "scaling_governor");
    attempt(governor, [&] { sysfs_.write(governor, *value_of(governor)); });
    restore_range(policy.dir, "scaling_min_freq", "scaling_max_freq");
  }
  if (!layout_.gpu.dir.empty()) {
    const std::string governor = join_path(layout_.gpu.dir, "governor");
    attempt(governor, [&] { sysfs_.write(governor, *value_of(governor)); });
    restore_range(layout_.gpu.dir, "min_freq", "max_freq");
  }
  if (layout_.emc.kind != EmcKind::none) {
    const std::string rate = emc_rate_file(layout_.emc);
    const std::string lock = emc_lock_file(layout_.emc);
    attempt(rate, [&] { sysfs_.write(rate, *value_of(rate)); });
    attempt(lock, [&] { sysfs_.write(lock, *value_of(lock)); });
  }
  return failed;
}

}  // namespace edgetwin::hw
