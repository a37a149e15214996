#pragma once
// Seeds derived from (run seed, stream, index) with SplitMix64, so that the randomness of step s
// (masking, dropout, the order of epoch e) is a function of the seed and s alone: a run resumed
// from a checkpoint at step s draws exactly what the uninterrupted run drew.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>

namespace autopeft::train::detail {

enum class stream : std::uint64_t { masking = 1, dropout = 2, order = 3, subset = 4 };

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

[[nodiscard]] constexpr std::uint64_t derive_seed(std::uint64_t seed, stream s, std::uint64_t index) noexcept {
  return splitmix64(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(s))) + index);
}

/// A CPU generator for (seed, stream, index).
[[nodiscard]] inline torch::Generator generator(std::uint64_t seed, stream s, std::uint64_t index) {
  return at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, s, index));
}

}  // namespace autopeft::train::detail
