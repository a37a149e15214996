#pragma once
// Gamma prior with shape (concentration) a and rate b:
//   log p(x) = a log b - lgamma(a) + (a - 1) log x - b x,   x > 0
//   mode = (a - 1) / b for a >= 1, else 0.
// The pre-0.12 BoTorch defaults use Gamma(3, 6) on lengthscales, Gamma(2, 0.15) on the
// outputscale and Gamma(1.1, 0.05) on the noise; the SAAS model (Eriksson & Jankowiak, UAI 2021)
// uses Gamma(2, 0.15) on the outputscale and Gamma(0.9, 10) on the noise.
#include <torch/torch.h>

#include <cmath>

namespace autopeft::mobo {

struct gamma_prior {
  double concentration = 1.0;
  double rate = 1.0;

  [[nodiscard]] torch::Tensor log_prob(const torch::Tensor& x) const {
    return concentration * std::log(rate) - std::lgamma(concentration) +
           (concentration - 1.0) * torch::log(x) - rate * x;
  }
  [[nodiscard]] double mode() const {
    return concentration >= 1.0 ? (concentration - 1.0) / rate : 0.0;
  }
};

}  // namespace autopeft::mobo
