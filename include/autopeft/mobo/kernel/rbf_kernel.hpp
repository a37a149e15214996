#pragma once
// Radial basis function (squared exponential) kernel with ARD lengthscales l_i:
//   k(x, y) = exp(-r^2 / 2),   r^2 = sum_i (x_i - y_i)^2 / l_i^2
// so k = exp(-1/2) at distance one lengthscale. Rasmussen & Williams, "Gaussian Processes for
// Machine Learning", 2006, eq. 4.9. Lengthscale l = exp(raw), raw of shape [*B, 1, d].
//
// Example:
//   rbf_kernel k({.ard_num_dims = 3});
//   auto K = k(x, x);   // x [n, 3] -> K [n, n]
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/detail/ard_lengthscale.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::mobo {

class rbf_kernel {
 public:
  explicit rbf_kernel(const ard_options& o = {}) : ls_(o, "rbf_kernel") {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p] (batch dims broadcast against B).
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return evaluate(x1, x2, ls_.value());
  }
  /// The formula for a given lengthscale tensor [*B, 1, d]; used by saas_kernel.
  [[nodiscard]] static torch::Tensor evaluate(const torch::Tensor& x1, const torch::Tensor& x2,
                                              const torch::Tensor& lengthscale) {
    const bool same = x1.is_same(x2);
    const auto a = x1 / lengthscale;
    const auto b = same ? a : x2 / lengthscale;
    return torch::exp(-0.5 * detail::squared_distance(a, b, same));
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {ls_.h}; }
  [[nodiscard]] torch::Tensor log_prior() const { return ls_.log_prior(); }
  [[nodiscard]] torch::Tensor lengthscale() const { return ls_.value(); }

 private:
  detail::ard_lengthscale ls_;
};

}  // namespace autopeft::mobo
