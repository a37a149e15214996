#pragma once
// A random generator whose draws are the same on every machine and standard library.
//
// std::mt19937_64's output sequence is fixed by the standard, but std::uniform_int_distribution
// and std::shuffle are not: libstdc++, libc++ and MSVC turn the same engine output into
// different numbers. The embedded benchmark must be byte-identical everywhere, so bounded
// draws and shuffles are written out here.
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace autopeft::data::detail {

class portable_rng {
 public:
  explicit portable_rng(std::uint64_t seed) : engine_(seed) {}

  /// A uniform draw in [0, n), by rejection: only the largest multiple of n below 2^64 - 1 is
  /// accepted, so no value is favoured. n == 0 returns 0.
  [[nodiscard]] std::uint64_t below(std::uint64_t n) {
    if (n == 0) return 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % n;
    for (;;) {
      const std::uint64_t x = engine_();
      if (x < limit) return x % n;
    }
  }

  /// Fisher-Yates, last element first.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      if (j != i - 1) std::swap(v[i - 1], v[j]);
    }
  }

  /// A uniformly chosen element; v must not be empty.
  template <class T>
  [[nodiscard]] const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(v.size()))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace autopeft::data::detail
