#pragma once
// Matern kernels with smoothness nu = TwoNu / 2 in {1/2, 3/2, 5/2} and ARD lengthscales l_i.
// With r = sqrt(sum_i (x_i - y_i)^2 / l_i^2):
//   nu = 1/2:  k = exp(-r)
//   nu = 3/2:  k = (1 + sqrt(3) r) exp(-sqrt(3) r)
//   nu = 5/2:  k = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)
// Rasmussen & Williams, "Gaussian Processes for Machine Learning", 2006, eqs. 4.14-4.17.
// Matern-5/2 with ARD is the AutoPEFT reference's kernel. Lengthscale l = exp(raw), [*B, 1, d].
//
// Example:
//   matern52_kernel k({.ard_num_dims = 15, .batch_shape = {2}});
//   auto K = k(x, x);   // x [n, 15] -> K [2, n, n]
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/detail/ard_lengthscale.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace autopeft::mobo {

template <int TwoNu>
class matern_kernel {
  static_assert(TwoNu == 1 || TwoNu == 3 || TwoNu == 5,
                "autopeft::mobo::matern_kernel<TwoNu>: nu = TwoNu/2 must be 1/2, 3/2 or 5/2");

 public:
  explicit matern_kernel(const ard_options& o = {}) : ls_(o, "matern_kernel") {}

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
    const auto r = detail::safe_sqrt(detail::squared_distance(a, b, same));
    if constexpr (TwoNu == 1) {
      return torch::exp(-r);
    } else if constexpr (TwoNu == 3) {
      const auto s = std::sqrt(3.0) * r;
      return (1.0 + s) * torch::exp(-s);
    } else {
      const auto s = std::sqrt(5.0) * r;
      return (1.0 + s + s * s / 3.0) * torch::exp(-s);
    }
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {ls_.h}; }
  [[nodiscard]] torch::Tensor log_prior() const { return ls_.log_prior(); }
  [[nodiscard]] torch::Tensor lengthscale() const { return ls_.value(); }
  static constexpr double nu = TwoNu / 2.0;

 private:
  detail::ard_lengthscale ls_;
};

using matern12_kernel = matern_kernel<1>;
using matern32_kernel = matern_kernel<3>;
using matern52_kernel = matern_kernel<5>;

}  // namespace autopeft::mobo
