#pragma once
// Internal to the simulation core: the named random streams of a run and their seeds.

#include <cstdint>

namespace edgetwin::sim::detail {

/// The independent random streams of a run. The values are part of every result (they enter
/// derive_seed): never renumber them; a new stream takes the next free value.
enum class SeedStream : std::uint64_t {
  video = 1,             ///< video frame arrivals and their complexity process, per (device, stream)
  requests = 2,          ///< request arrivals and their model mix, per (device, stream)
  access_bandwidth = 3,  ///< a device's access-link bandwidth process, per device
  policy = 4,            ///< a device's policies (random exploration, learned agents), per device
  wan_bandwidth = 5,     ///< the wide-area link's bandwidth process
  exit_records = 6,      ///< a video stream's SYNTHETIC exit records, per stream
  probe = 7,             ///< a device's probe measurement noise, per device
};

/// A deterministic seed for (scenario seed, stream, a, b).
std::uint64_t derive_seed(std::uint64_t seed, SeedStream stream, std::uint64_t a, std::uint64_t b = 0);

}  // namespace edgetwin::sim::detail
