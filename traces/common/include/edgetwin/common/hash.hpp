#pragma once
/// Portable hashing and seed derivation (std::hash is implementation-defined, so nothing that
/// ends up in a result or a file name may use it).

#include <cstdint>
#include <string>
#include <string_view>

namespace edgetwin::common {

/// The FNV-1a 64-bit offset basis (14695981039346656037).
inline constexpr std::uint64_t kFnvBasis = 0xcbf29ce484222325ULL;
/// A basis with the standard one's last digit missing (1469598103934665603). The synthetic trace
/// generator and the learner checkpoints' checksums were defined with it; it stays so that their
/// traces and existing checkpoints keep their values.
inline constexpr std::uint64_t kTruncatedFnvBasis = 1469598103934665603ULL;

/// FNV-1a (64 bit) of `bytes`, starting from `basis`.
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t basis = kFnvBasis) {
  std::uint64_t h = basis;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return h;
}

/// The splitmix64 step (Steele, Lea, Flood 2014): add the golden gamma, then finalise.
constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Combines `value` into the hash `h` (boost-style combine, then the splitmix64 finaliser).
constexpr std::uint64_t hash_combine(std::uint64_t h, std::uint64_t value) {
  std::uint64_t z = h ^ (value + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A uniform double in [0, 1) from the top 53 bits of `h`.
constexpr double uniform01(std::uint64_t h) {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

/// `value` as 16 lower-case hexadecimal digits.
std::string hex16(std::uint64_t value);

}  // namespace edgetwin::common
