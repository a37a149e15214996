#pragma once
// Linear (dot-product) kernel: k(x, y) = v x^T y, variance v = exp(raw), raw of shape [*B].
// Rasmussen & Williams 2006, eq. 4.20 (with sigma_0 = 0). PSD of rank <= d.
//
// Example:
//   linear_kernel k({.batch_shape = {2}, .initial_variance = 0.5});
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>
#include <autopeft/mobo/kernel/detail/scalar_parameter.hpp>
#include <autopeft/mobo/prior/any_prior.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::mobo {

struct linear_options {
  std::vector<std::int64_t> batch_shape = {};
  any_prior variance_prior = {};
  double initial_variance = 1.0;
};

class linear_kernel {
 public:
  explicit linear_kernel(const linear_options& o = {})
      : v_("linear_kernel", "variance", o.batch_shape, o.initial_variance, o.variance_prior) {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return detail::as_matrix_scale(v_.value()) * x1.matmul(x2.transpose(-1, -2));
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {v_.h}; }
  [[nodiscard]] torch::Tensor log_prior() const { return v_.log_prior(); }
  [[nodiscard]] torch::Tensor variance() const { return v_.value(); }

 private:
  detail::scalar_parameter v_;
};

}  // namespace autopeft::mobo
