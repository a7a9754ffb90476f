#include "accuracy_memo.hpp"

#include <limits>

namespace edgetwin::sim::detail {

double AccuracyMemo::get(const traces::Catalog& catalog, const traces::Model& model,
                         const traces::AccuracyTable* table, int exit_after_unit, bool offloaded,
                         double share) {
  if (model_ != &model || table_ != table || exit_ != exit_after_unit || offloaded_ != offloaded ||
      share_ != share) {
    table_ = table;
    if (table == nullptr) table = catalog.accuracy(model.id);
    accuracy_ = table != nullptr ? table->accuracy(model, exit_after_unit, offloaded, share)
                                 : std::numeric_limits<double>::quiet_NaN();
    model_ = &model;
    exit_ = exit_after_unit;
    offloaded_ = offloaded;
    share_ = share;
  }
  return accuracy_;
}

}  // namespace edgetwin::sim::detail
