#pragma once
// Half-Cauchy prior with scale s:
//   log p(x) = log 2 - log(pi s) - log(1 + (x / s)^2),   x >= 0;   median = s.
// Its heavy tail and finite density at 0 make it the shrinkage prior of SAAS (Eriksson &
// Jankowiak, "High-Dimensional Bayesian Optimization with Sparse Axis-Aligned Subspaces",
// UAI 2021): global shrinkage tau ~ HalfCauchy(0.1), inverse squared lengthscales
// rho_i ~ HalfCauchy(tau).
#include <torch/torch.h>

#include <cmath>

namespace autopeft::mobo {

struct half_cauchy_prior {
  double scale = 1.0;

  [[nodiscard]] torch::Tensor log_prob(const torch::Tensor& x) const {
    return std::log(2.0 / (M_PI * scale)) - torch::log1p((x / scale).pow(2));
  }
};

}  // namespace autopeft::mobo
