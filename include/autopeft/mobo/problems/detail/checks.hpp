#pragma once
// Input checks and helpers shared by the test problems.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace autopeft::mobo::detail {

inline void check_inputs(const torch::Tensor& X, std::int64_t dim, const char* problem) {
  if (!X.defined() || X.dim() < 1 || !X.is_floating_point() || X.size(-1) != dim) {
    throw error(std::string("autopeft::mobo::") + problem +
                "::evaluate: X must be a floating-point tensor [n, " + std::to_string(dim) +
                "], got " + (X.defined() ? c10::str(X.sizes()) : std::string("undefined")));
  }
}

inline torch::Tensor unit_bounds(std::int64_t dim) {
  return torch::stack({torch::zeros({dim}, torch::kFloat64), torch::ones({dim}, torch::kFloat64)});
}

/// n points of the Halton sequence in [0, 1)^d (bases: the first d primes), as [n, d] doubles:
/// a deterministic, evenly spread sample for the analytic Pareto fronts.
inline torch::Tensor halton(std::int64_t n, std::int64_t d) {
  std::vector<std::int64_t> primes;
  for (std::int64_t c = 2; static_cast<std::int64_t>(primes.size()) < d; ++c) {
    bool prime = true;
    for (auto p : primes) prime = prime && c % p != 0;
    if (prime) primes.push_back(c);
  }
  auto out = torch::empty({n, d}, torch::kFloat64);
  auto* o = out.data_ptr<double>();
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      double f = 1.0, r = 0.0;
      for (std::int64_t k = i + 1; k > 0; k /= primes[j]) {
        f /= static_cast<double>(primes[j]);
        r += f * static_cast<double>(k % primes[j]);
      }
      o[i * d + j] = r;
    }
  }
  return out;
}

}  // namespace autopeft::mobo::detail
