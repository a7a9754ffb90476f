#include "edgetwin/zoo/zoo_model.hpp"

#include <stdexcept>
#include <utility>

namespace edgetwin::zoo {

torch::Tensor SingleInputUnit::run(const std::vector<torch::Tensor>& inputs) {
  return forward(inputs.at(0));
}

SequentialUnit::SequentialUnit(torch::nn::Sequential body)
    : body_(register_module("body", std::move(body))) {}

torch::Tensor SequentialUnit::forward(const torch::Tensor& x) {
  return body_->forward(x);
}

LambdaUnit::LambdaUnit(std::function<torch::Tensor(const torch::Tensor&)> fn) : fn_(std::move(fn)) {}

torch::Tensor LambdaUnit::forward(const torch::Tensor& x) {
  return fn_(x);
}

void ZooNetwork::add_unit(std::string unit_name, std::string kind, std::shared_ptr<UnitModule> module) {
  const int previous = static_cast<int>(units.size()) - 1;  // kModelInput for the first unit
  add_unit(std::move(unit_name), std::move(kind), std::move(module), {previous});
}

void ZooNetwork::add_unit(std::string unit_name, std::string kind, std::shared_ptr<UnitModule> module,
                          std::vector<int> inputs) {
  for (int j : inputs) {
    if (j < kModelInput || j >= static_cast<int>(units.size())) {
      throw std::logic_error("zoo: unit " + unit_name + " consumes unit " + std::to_string(j) +
                             " which does not precede it");
    }
  }
  units.push_back(ZooUnit{std::move(unit_name), std::move(kind), std::move(module), std::move(inputs)});
}

void ZooNetwork::eval() {
  for (auto& u : units) u.module->eval();
  for (auto& e : extra_exits) e.module->eval();
}

torch::Tensor ZooNetwork::run_unit(std::size_t i, const std::vector<torch::Tensor>& inputs) const {
  return units.at(i).module->run(inputs);
}

std::vector<torch::Tensor> ZooNetwork::gather_inputs(std::size_t i, const torch::Tensor& input,
                                                     const std::vector<torch::Tensor>& outputs) const {
  std::vector<torch::Tensor> ins;
  for (int j : units.at(i).inputs) {
    ins.push_back(j == kModelInput ? input : outputs.at(static_cast<std::size_t>(j)));
  }
  return ins;
}

UnitOutputs ZooNetwork::forward(const torch::Tensor& input) const {
  UnitOutputs result;
  for (std::size_t i = 0; i < units.size(); ++i) {
    result.outputs.push_back(run_unit(i, gather_inputs(i, input, result.outputs)));
  }
  return result;
}

std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/true)) n += p.numel();
  return n;
}

}  // namespace edgetwin::zoo
