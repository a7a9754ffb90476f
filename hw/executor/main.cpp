// edgetwin-executor: runs catalog models' units with libtorch for the board daemon (docs/hil.md,
// "The executor"). Its own process so that nothing else of the board side loads libtorch.
// Weights are RANDOM (deterministic seed): real ones cannot be fetched here; latency and power
// do not depend on the weights' values.
//
//   edgetwin-executor serve --fd N     one JSON request per line on descriptor N, one response
//                                      line back: {"op":"run","model","unit","exit","batch",
//                                      "precision"} -> {"ok":true,"latency_s","device"}
//   edgetwin-executor bench --model M [--batch B] [--repeats R]
//                                      runs every unit and prints its mean latency
// Exit codes: 0 success, 1 failure, 2 bad command line.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "edgetwin/zoo/zoo.hpp"

namespace {

namespace zoo = edgetwin::zoo;

// One loaded model at one batch and precision: the network, a random input and the outputs of
// every unit (the inputs of later units), exit heads built on first use.
struct Loaded {
  zoo::ZooNetwork net;
  edgetwin::traces::Model catalog;
  torch::Tensor input;
  std::vector<torch::Tensor> outputs;
  std::map<int, std::shared_ptr<zoo::UnitModule>> heads;
};

class Executor {
 public:
  Executor() : device_(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU) {}
  std::string device_name() const { return device_.is_cuda() ? "cuda" : "cpu"; }

  // Runs unit `unit` (or the head of exit `exit`) once; returns its wall time in seconds.
  double run(const std::string& model, int unit, int exit, int batch, const std::string& precision) {
    Loaded& m = load(model, batch, precision);
    torch::NoGradGuard no_grad;
    auto sync = [&] {
      if (device_.is_cuda()) torch::cuda::synchronize();
    };
    std::function<torch::Tensor()> work;
    if (exit >= 0) {
      if (exit >= static_cast<int>(m.catalog.exits.size())) throw std::invalid_argument("exit out of range");
      const auto& point = m.catalog.exits[static_cast<std::size_t>(exit)];
      const torch::Tensor& x = m.outputs.at(static_cast<std::size_t>(point.after_unit));
      auto& head = m.heads[exit];
      if (!head) {
        head = zoo::make_exit_head(m.net, point, x);
        head->to(device_, dtype(precision));
      }
      work = [&] { return head->run({x}); };
    } else {
      if (unit < 0 || unit >= static_cast<int>(m.net.units.size()))
        throw std::invalid_argument("unit out of range");
      const auto inputs = m.net.gather_inputs(static_cast<std::size_t>(unit), m.input, m.outputs);
      work = [&m, unit, inputs] { return m.net.run_unit(static_cast<std::size_t>(unit), inputs); };
    }
    sync();
    const auto start = std::chrono::steady_clock::now();
    torch::Tensor y = work();
    sync();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  torch::Dtype dtype(const std::string& precision) const {
    if (precision == "fp16") {
      if (!device_.is_cuda())
        throw std::invalid_argument("fp16 needs CUDA; this libtorch runs on the CPU only");
      return torch::kHalf;
    }
    return torch::kFloat;
  }

  Loaded& load(const std::string& model, int batch, const std::string& precision) {
    const std::string key = model + "/" + std::to_string(batch) + "/" + precision;
    auto it = loaded_.find(key);
    if (it != loaded_.end()) return *it->second;
    loaded_.clear();  // one model resident at a time (board memory)
    auto m = std::make_unique<Loaded>();
    m->net = zoo::build_network(model);  // random weights, seed 0, eval mode
    m->catalog = zoo::extract(m->net);
    for (auto& u : m->net.units) u.module->to(device_, dtype(precision));
    std::vector<std::int64_t> shape = m->net.input_shape;
    shape[0] = batch;
    m->input = torch::randn(shape, torch::TensorOptions().device(device_).dtype(dtype(precision)));
    torch::NoGradGuard no_grad;
    m->outputs = m->net.forward(m->input).outputs;
    return *(loaded_[key] = std::move(m));
  }

  torch::Device device_;
  std::map<std::string, std::unique_ptr<Loaded>> loaded_;
};

int serve(int fd) {
  FILE* in = fdopen(fd, "r");
  FILE* out = fdopen(dup(fd), "w");
  if (in == nullptr || out == nullptr) {
    std::cerr << "edgetwin-executor: cannot open descriptor " << fd << "\n";
    return 1;
  }
  Executor executor;
  std::string line;
  for (int c; (c = std::fgetc(in)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    nlohmann::json response;
    try {
      const nlohmann::json request = nlohmann::json::parse(line);
      const double latency = executor.run(
          request.at("model").get<std::string>(), request.at("unit").get<int>(), request.value("exit", -1),
          request.value("batch", 1), request.value("precision", std::string("fp32")));
      response = {{"ok", true}, {"latency_s", latency}, {"device", executor.device_name()}};
    } catch (const std::exception& e) {
      response = {{"ok", false}, {"error", e.what()}};
    }
    line.clear();
    const std::string text = response.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  }
  return 0;
}

int bench(const std::string& model, int batch, int repeats) {
  Executor executor;
  const auto catalog = zoo::extract(model);
  std::cout << "edgetwin-executor: " << model << " batch " << batch << " on " << executor.device_name()
            << " (RANDOM weights)\n";
  double total = 0;
  for (int u = 0; u < static_cast<int>(catalog.units.size()); ++u) {
    executor.run(model, u, -1, batch, "fp32");  // warm-up
    double sum = 0;
    for (int r = 0; r < repeats; ++r) sum += executor.run(model, u, -1, batch, "fp32");
    std::printf("%3d  %-24s %10.3f ms\n", u, catalog.units[static_cast<std::size_t>(u)].name.c_str(),
                1e3 * sum / repeats);
    total += sum / repeats;
  }
  std::printf("whole model: %.3f ms\n", 1e3 * total);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](const std::string& key, const std::string& fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == key) return args[i + 1];
    }
    return fallback;
  };
  try {
    if (!args.empty() && args[0] == "serve" && !value("--fd", "").empty())
      return serve(std::stoi(value("--fd", "")));
    if (!args.empty() && args[0] == "bench" && !value("--model", "").empty()) {
      return bench(value("--model", ""), std::stoi(value("--batch", "1")),
                   std::stoi(value("--repeats", "5")));
    }
  } catch (const std::exception& e) {
    std::cerr << "edgetwin-executor: error: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: edgetwin-executor serve --fd N | bench --model M [--batch B] [--repeats R]\n";
  return 2;
}
