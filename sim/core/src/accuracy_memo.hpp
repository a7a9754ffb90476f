#pragma once
// Internal to the simulation core: the accuracy of a request's outcome, with its last answer kept.

#include "edgetwin/traces/catalog.hpp"
#include "edgetwin/traces/model.hpp"

namespace edgetwin::sim::detail {

/// The accuracy table's answer for (exit, offloaded, share); NaN for a model without a
/// table. A pure function of its arguments, and a stream asks the same question frame after
/// frame: the last question and answer are kept.
class AccuracyMemo {
 public:
  /// `table`: the request's dataset table; nullptr = the model's default table.
  double get(const traces::Catalog& catalog, const traces::Model& model, const traces::AccuracyTable* table,
             int exit_after_unit, bool offloaded, double share);

 private:
  const traces::Model* model_ = nullptr;
  const traces::AccuracyTable* table_ = nullptr;
  int exit_ = 0;
  bool offloaded_ = false;
  double share_ = 0;
  double accuracy_ = 0;
};

}  // namespace edgetwin::sim::detail
