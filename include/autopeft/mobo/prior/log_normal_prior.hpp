#pragma once
// Log-normal prior: log X ~ Normal(loc, scale).
//   log p(x) = -log x - log scale - log(2 pi)/2 - (log x - loc)^2 / (2 scale^2),   x > 0
//   mode = exp(loc - scale^2)
// BoTorch's default lengthscale prior is dimension_scaled(d) (Hvarfner, Hellsten & Nardi,
// "Vanilla Bayesian Optimization Performs Great in High Dimensions", ICML 2024) and its default
// noise prior LogNormal(-4, 1).
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace autopeft::mobo {

struct log_normal_prior {
  double loc = 0.0;
  double scale = 1.0;

  [[nodiscard]] torch::Tensor log_prob(const torch::Tensor& x) const {
    const auto z = (torch::log(x) - loc) / scale;
    return -torch::log(x) - std::log(scale) - 0.5 * std::log(2.0 * M_PI) - 0.5 * z * z;
  }
  [[nodiscard]] double mode() const { return std::exp(loc - scale * scale); }

  /// LogNormal(sqrt(2) + log(d)/2, sqrt(3)): lengthscales grow like sqrt(d) with the dimension.
  [[nodiscard]] static log_normal_prior dimension_scaled(std::int64_t d) {
    return {std::sqrt(2.0) + 0.5 * std::log(static_cast<double>(d)), std::sqrt(3.0)};
  }
};

}  // namespace autopeft::mobo
