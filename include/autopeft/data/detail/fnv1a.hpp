#pragma once
// FNV-1a, 64 bits: a stable, portable hash for split assignment and seed derivation
// (std::hash may differ between standard libraries and runs).
#include <cstdint>
#include <string_view>

namespace autopeft::data::detail {

[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace autopeft::data::detail
