#include "merged_arrivals.hpp"

namespace edgetwin::sim::detail {

void MergedArrivals::add(std::unique_ptr<ArrivalStream> stream) {
  streams_.push_back(std::move(stream));
  heads_.emplace_back();
  has_head_.push_back(streams_.back()->next(heads_.back()));
}

int MergedArrivals::earliest() const {
  int best = -1;
  for (std::size_t s = 0; s < heads_.size(); ++s) {
    if (has_head_[s] &&
        (best < 0 || heads_[s].arrival_s < heads_[static_cast<std::size_t>(best)].arrival_s)) {
      best = static_cast<int>(s);
    }
  }
  return best;
}

double MergedArrivals::next_arrival_s() const {
  const int best = earliest();
  return best < 0 ? -1.0 : heads_[static_cast<std::size_t>(best)].arrival_s;
}

void MergedArrivals::advance(int s) {
  const auto i = static_cast<std::size_t>(s);
  has_head_[i] = streams_[i]->next(heads_[i]);
}

}  // namespace edgetwin::sim::detail
