#include "edgetwin/zoo/mac_counter.hpp"

namespace edgetwin::zoo {
namespace {
thread_local OpCounts g_counts;
}  // namespace

void count_macs(std::int64_t macs) {
  g_counts.macs += macs;
}
void count_kernels(std::int64_t kernels) {
  g_counts.kernels += kernels;
}

CountScope::CountScope() : saved_(g_counts) {
  g_counts = OpCounts{};
}

CountScope::~CountScope() {
  g_counts.macs += saved_.macs;
  g_counts.kernels += saved_.kernels;
}

OpCounts CountScope::counts() const {
  return g_counts;
}

}  // namespace edgetwin::zoo
