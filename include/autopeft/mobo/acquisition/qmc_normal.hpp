#pragma once
// Quasi-random standard normal base samples for Monte-Carlo acquisitions.
//
// LibTorch's C++ API has no SobolEngine, so the base samples come from a randomised Halton
// sequence (Halton 1960) with random digit permutations (Braaten & Weller 1979; Owen 1995,
// "Randomly permuted (t,m,s)-nets and (t,s)-sequences"): coordinate j uses the j-th prime p_j;
// point i writes i in base p_j with K_j = ceil(log_{p_j} S) digits a_0 a_1 ...,
//     u_ij = sum_k pi_jk(a_k) p_j^-(k+1) + p_j^-K_j U_ij,   U_ij ~ U(0, 1),
// with an independent random permutation pi_jk of {0, ..., p_j - 1} per coordinate and digit,
// and z_ij = Phi^-1(u_ij). Every coordinate is then exactly stratified (S < p_j: a Latin
// hypercube in that coordinate; S = p_j^K: one point per elementary interval) and the scrambling
// removes the correlations between high coordinates that the plain Halton sequence has. Like
// scrambled Sobol points, the samples are unbiased and have lower variance than i.i.d. normals
// for smooth integrands; unlike Sobol points they need no table of direction numbers, so any
// dimension (n baseline points x m objectives, often hundreds) works.
// Deterministic in (S, D, seed); arithmetic in double.
//
// Example:
//   auto z = qmc_normal(128, n * m, /*seed=*/0).view({128, n, m});
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace autopeft::mobo {

namespace detail {
inline std::vector<std::int64_t> first_primes(std::int64_t count) {
  std::vector<std::int64_t> primes;
  for (std::int64_t c = 2; static_cast<std::int64_t>(primes.size()) < count; ++c) {
    bool prime = true;
    for (auto p : primes) {
      if (p * p > c) break;
      if (c % p == 0) {
        prime = false;
        break;
      }
    }
    if (prime) primes.push_back(c);
  }
  return primes;
}
}  // namespace detail

/// The uniform points u [S, D] in (0, 1) of the header comment (a scrambled Halton design).
struct qmc_uniform_fn {
  [[nodiscard]] torch::Tensor operator()(std::int64_t S, std::int64_t D, std::uint64_t seed) const {
    if (S < 1 || D < 0)
      throw error("qmc_uniform / qmc_normal: expected S >= 1 samples and D >= 0 dimensions, got S = " +
                  std::to_string(S) + ", D = " + std::to_string(D));
    const auto primes = detail::first_primes(D);
    std::vector<double> u(static_cast<std::size_t>(S * D));
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (std::int64_t j = 0; j < D; ++j) {
      const auto p = primes[static_cast<std::size_t>(j)];
      std::int64_t digits = 1;
      for (std::int64_t span = p; span < S; span *= p) ++digits;
      std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(j) + 1);
      std::vector<std::vector<std::int64_t>> perms(static_cast<std::size_t>(digits));
      for (auto& perm : perms) {
        perm.resize(static_cast<std::size_t>(p));
        std::iota(perm.begin(), perm.end(), std::int64_t{0});
        std::shuffle(perm.begin(), perm.end(), rng);
      }
      const double tail = std::pow(static_cast<double>(p), -static_cast<double>(digits));
      for (std::int64_t i = 0; i < S; ++i) {
        double v = 0.0, scale = 1.0 / static_cast<double>(p);
        std::int64_t rest = i;
        for (std::int64_t k = 0; k < digits; ++k, scale /= static_cast<double>(p)) {
          v += static_cast<double>(perms[static_cast<std::size_t>(k)]
                                        [static_cast<std::size_t>(rest % p)]) *
               scale;
          rest /= p;
        }
        v += tail * uniform(rng);
        u[static_cast<std::size_t>(i * D + j)] = std::clamp(v, 1e-12, 1.0 - 1e-12);
      }
    }
    return torch::tensor(u, torch::kFloat64).view({S, D});
  }
};

inline constexpr qmc_uniform_fn qmc_uniform{};

struct qmc_normal_fn {
  /// S points in D dimensions -> [S, D] float64 standard normals.
  [[nodiscard]] torch::Tensor operator()(std::int64_t S, std::int64_t D, std::uint64_t seed) const {
    return std::sqrt(2.0) * torch::erfinv(2.0 * qmc_uniform(S, D, seed) - 1.0);
  }
};

inline constexpr qmc_normal_fn qmc_normal{};

}  // namespace autopeft::mobo
