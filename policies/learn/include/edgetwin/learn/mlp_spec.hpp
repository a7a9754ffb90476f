#pragma once
/// The shape of a multi-layer perceptron: inputs -> hidden layers (each Linear + activation) ->
/// outputs (Linear, no activation). Every learner builds its networks from one.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace edgetwin::learn {

enum class Activation { kRelu, kTanh, kElu };

/// "relu", "tanh", "elu".
std::string to_string(Activation activation);
/// Inverse of to_string; throws ConfigError listing the allowed names.
Activation activation_from_string(const std::string& name);

struct MlpSpec {
  int inputs = 0;           ///< input features (the state dimension)
  std::vector<int> hidden;  ///< hidden layer widths, e.g. {64, 64}; may be empty (linear model)
  int outputs = 0;          ///< outputs (actions, classes or regression targets)
  Activation activation = Activation::kRelu;

  /// Throws ConfigError naming `what` and the field when a size is < 1.
  void validate(const std::string& what) const;
  /// Number of trainable parameters (weights + biases).
  long long parameter_count() const;
  /// {"inputs": 7, "hidden": [64, 64], "outputs": 9, "activation": "relu"}
  nlohmann::json to_json() const;
  static MlpSpec from_json(const nlohmann::json& j);  ///< throws nlohmann::json exceptions on bad types

  bool operator==(const MlpSpec& other) const;
  bool operator!=(const MlpSpec& other) const { return !(*this == other); }
};

}  // namespace edgetwin::learn
