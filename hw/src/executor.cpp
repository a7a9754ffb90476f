#include "edgetwin/hw/executor.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "edgetwin/common/child_process.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace edgetwin::hw {

FakeExecutor::FakeExecutor(const traces::Board& board, const traces::Synthesizer& synth,
                           FakeBoardDriver& driver)
    : board_(board), synth_(synth), driver_(driver) {}

double FakeExecutor::run(const traces::Model& model, int unit, int exit, int batch,
                         const std::string& precision) {
  const traces::ClockSetting clocks = driver_.loaded_clocks();
  const traces::UnitPrediction p =
      exit >= 0 ? synth_.predict_head(board_, model, exit, batch, 1, clocks, precision)
                : synth_.predict_unit(board_, model, unit, batch, 1, clocks, precision);
  traces::PowerComponents busy;
  busy.cpu_w = p.power_cpu_w;
  busy.gpu_w = p.power_gpu_w;
  busy.soc_w = p.power_soc_w;
  busy.ddr_w = p.power_ddr_w;
  driver_.set_load(busy);  // (writing the power files is not part of the unit's time)
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                            std::chrono::duration<double>(p.latency_s)));
  const double latency_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  driver_.set_load(std::nullopt);
  return latency_s;
}

struct ProcessExecutor::Impl {
  std::unique_ptr<common::ChildProcess> child;
  int fd = -1;
  std::string buffer;
};

ProcessExecutor::ProcessExecutor(const std::string& executor_path, const std::string& log_path,
                                 double timeout_s)
    : impl_(std::make_unique<Impl>()), timeout_s_(timeout_s) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  }
  common::ChildOptions options;
  options.log_path = log_path;
  options.pass_fd = fds[1];
  impl_->child = std::make_unique<common::ChildProcess>(
      std::vector<std::string>{executor_path, "serve", "--fd", "3"}, options);
  ::close(fds[1]);
  impl_->fd = fds[0];
}

ProcessExecutor::~ProcessExecutor() {
  if (impl_->fd >= 0) ::close(impl_->fd);  // the executor reads EOF and exits
  if (impl_->child && !impl_->child->poll()) impl_->child->terminate(5);
}

double ProcessExecutor::run(const traces::Model& model, int unit, int exit, int batch,
                            const std::string& precision) {
  const std::string line = nlohmann::json{{"op", "run"},  {"model", model.id}, {"unit", unit},
                                          {"exit", exit}, {"batch", batch},    {"precision", precision}}
                               .dump() +
                           "\n";
  if (::send(impl_->fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("edgetwin-executor is gone (" + std::string(std::strerror(errno)) + ")");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s_);
  for (;;) {
    const auto newline = impl_->buffer.find('\n');
    if (newline != std::string::npos) {
      const std::string text = impl_->buffer.substr(0, newline);
      impl_->buffer.erase(0, newline + 1);
      const nlohmann::json response = nlohmann::json::parse(text);
      if (!response.value("ok", false)) {
        throw std::runtime_error("edgetwin-executor: " + response.value("error", std::string("(no reason)")));
      }
      device_ = response.value("device", device_);
      return response.at("latency_s").get<double>();
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("edgetwin-executor: no answer within " + std::to_string(timeout_s_) + " s");
    pollfd p{impl_->fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(impl_->fd, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("edgetwin-executor ended (see its log)");
    impl_->buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace edgetwin::hw
