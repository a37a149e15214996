#pragma once
// Scaled kernel: k(x, y) = s * base(x, y), outputscale s = exp(raw), raw of shape [*B].
// The base kernel's hyperparameters are listed with the prefix "base.".
//
// Example:
//   scale_kernel k(matern52_kernel({.ard_num_dims = d, .batch_shape = {m}}),
//                  {.batch_shape = {m}, .outputscale_prior = gamma_prior{2.0, 0.15}});
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>
#include <autopeft/mobo/kernel/detail/scalar_parameter.hpp>
#include <autopeft/mobo/prior/any_prior.hpp>

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace autopeft::mobo {

struct scale_options {
  std::vector<std::int64_t> batch_shape = {};
  any_prior outputscale_prior = {};
  double initial_outputscale = 1.0;
};

template <class Base>
class scale_kernel {
  static_assert(detail::check_kernel<Base>());

 public:
  explicit scale_kernel(Base base, const scale_options& o = {})
      : base_(std::move(base)),
        s_("scale_kernel", "outputscale", o.batch_shape, o.initial_outputscale,
           o.outputscale_prior) {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return detail::as_matrix_scale(s_.value()) * base_(x1, x2);
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const {
    std::vector<hyperparameter> out;
    detail::append_prefixed(out, base_.hyperparameters(), "base");
    out.push_back(s_.h);
    return out;
  }
  [[nodiscard]] torch::Tensor log_prior() const { return base_.log_prior() + s_.log_prior(); }
  [[nodiscard]] torch::Tensor outputscale() const { return s_.value(); }
  [[nodiscard]] const Base& base() const noexcept { return base_; }

 private:
  Base base_;
  detail::scalar_parameter s_;
};

}  // namespace autopeft::mobo
