#pragma once
/// Supervised training of an MLP: classification (cross-entropy, accuracy) or regression (MSE)
/// with seeded minibatches, Adam, epochs and a validation split. Used to pretrain predictors
/// (e.g. an interference or latency model) and to distil policies. No libtorch in this header.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgetwin/learn/learner.hpp"
#include "edgetwin/learn/mlp_spec.hpp"

namespace edgetwin::learn {

enum class SupervisedTask { kClassification, kRegression };

/// Rows of examples. Classification: `labels` in [0, outputs); regression: `targets`,
/// outputs values per row. inputs holds rows of `input_dim` values.
struct Dataset {
  int input_dim = 0;
  std::vector<float> inputs;
  std::vector<std::int64_t> labels;
  std::vector<float> targets;

  std::size_t size() const;  ///< rows (inputs.size() / input_dim)
};

/// An input that is a window of feature vectors (docs/learning.md, "Attention and sequence
/// inputs"): each row holds `window` vectors of `features` values, oldest first. The MLP sees
/// [last vector, pooled]: "mean" pools the window's mean (FrameExit-style accumulated pooling,
/// the baseline), "attention" the scaled dot-product attention of the last vector over the window
/// (query, keys and values by learned [features, key_dim] projections).
struct SequenceSpec {
  int window = 0;
  int features = 0;
  std::string pool = "attention";  ///< "attention" or "mean"
  int key_dim = 16;                ///< attention only
  int pooled_width() const { return features + (pool == "attention" ? key_dim : features); }
  nlohmann::json to_json() const;
  bool operator==(const SequenceSpec& o) const {
    return window == o.window && features == o.features && pool == o.pool &&
           (pool != "attention" || key_dim == o.key_dim);
  }
};

struct SupervisedConfig {
  SupervisedTask task = SupervisedTask::kClassification;
  MlpSpec network;  ///< outputs = classes or regression targets; inputs = window x features with a sequence
  /// A sequence input (window of vectors through mean pooling or attention); absent: a plain MLP.
  std::optional<SequenceSpec> sequence;
  /// The MLP after the sequence front ({pooled width, hidden, outputs}), or `network` without one.
  MlpSpec mlp() const;
  double learning_rate = 1e-3;
  std::size_t batch_size = 64;
  int epochs = 20;
  double validation_fraction = 0.2;  ///< last share of a seeded shuffle; 0 = no validation
  double max_grad_norm = 0;          ///< <= 0 disables
  std::uint64_t seed = 1;            ///< weights, split and minibatch order

  void validate() const;
  nlohmann::json hyper_parameters() const;
};

struct EpochStats {
  int epoch = 0;                   ///< 1-based
  double train_loss = 0;           ///< mean over the epoch's minibatches (weighted by rows)
  double validation_loss = 0;      ///< NaN without a validation split
  double train_accuracy = 0;       ///< classification only (NaN for regression); measured
                                   ///< after the epoch over the whole training split
  double validation_accuracy = 0;  ///< classification only, NaN otherwise or without split
};

class SupervisedTrainer {
 public:
  explicit SupervisedTrainer(const SupervisedConfig& config);
  ~SupervisedTrainer();
  SupervisedTrainer(const SupervisedTrainer&) = delete;
  SupervisedTrainer& operator=(const SupervisedTrainer&) = delete;

  /// Trains config.epochs epochs (continuing from the current weights and optimiser state).
  /// Throws std::invalid_argument on inconsistent data (dims, label range, empty split).
  std::vector<EpochStats> fit(const Dataset& data);
  /// One gradient step on exactly these rows (a minibatch); returns its loss.
  double train_step(const Dataset& batch);
  /// Network outputs for one input row (logits or regression values).
  std::vector<float> predict(const std::vector<float>& input);
  /// argmax of predict (classification).
  int classify(const std::vector<float>& input);
  /// Mean loss and accuracy (NaN for regression) over a dataset, without training.
  EpochStats evaluate(const Dataset& data);

  /// Order: layer by layer, weight (input-major [in, out]) then bias.
  std::vector<float> parameters_flat() const;
  void set_parameters_flat(const std::vector<float>& flat);
  void set_gradient_reducer(GradientReducer reducer);

  /// Files: manifest.json (kind "supervised"), network.pt, optimizer.pt.
  void save(const std::string& dir, const nlohmann::json& user = nlohmann::json::object()) const;
  nlohmann::json load(const std::string& dir);

  std::uint64_t updates() const;
  int epochs_done() const;
  const SupervisedConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// "classification" / "regression".
std::string to_string(SupervisedTask task);

}  // namespace edgetwin::learn
