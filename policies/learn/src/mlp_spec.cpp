// MlpSpec: validation, parameter count, JSON form.

#include "edgetwin/learn/mlp_spec.hpp"

#include <nlohmann/json.hpp>

#include "edgetwin/learn/error.hpp"

namespace edgetwin::learn {

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kElu:
      return "elu";
  }
  return "relu";
}

Activation activation_from_string(const std::string& name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "tanh") return Activation::kTanh;
  if (name == "elu") return Activation::kElu;
  throw ConfigError("activation: found \"" + name + "\", allowed: relu, tanh, elu");
}

void MlpSpec::validate(const std::string& what) const {
  if (inputs < 1) throw ConfigError(what + ": inputs: found " + std::to_string(inputs) + ", allowed >= 1");
  if (outputs < 1) throw ConfigError(what + ": outputs: found " + std::to_string(outputs) + ", allowed >= 1");
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    if (hidden[i] < 1) {
      throw ConfigError(what + ": hidden/" + std::to_string(i) + ": found " + std::to_string(hidden[i]) +
                        ", allowed >= 1");
    }
  }
}

long long MlpSpec::parameter_count() const {
  long long count = 0;
  long long in = inputs;
  for (int h : hidden) {
    count += in * h + h;
    in = h;
  }
  return count + in * outputs + outputs;
}

nlohmann::json MlpSpec::to_json() const {
  return {
      {"inputs", inputs}, {"hidden", hidden}, {"outputs", outputs}, {"activation", to_string(activation)}};
}

MlpSpec MlpSpec::from_json(const nlohmann::json& j) {
  MlpSpec spec;
  spec.inputs = j.at("inputs").get<int>();
  spec.hidden = j.at("hidden").get<std::vector<int>>();
  spec.outputs = j.at("outputs").get<int>();
  spec.activation = activation_from_string(j.at("activation").get<std::string>());
  return spec;
}

bool MlpSpec::operator==(const MlpSpec& other) const {
  return inputs == other.inputs && hidden == other.hidden && outputs == other.outputs &&
         activation == other.activation;
}

}  // namespace edgetwin::learn
