#pragma once
// Mixed continuous x categorical kernel of CoCaBO (Ru, Alvi, Nguyen, Osborne & Roberts,
// "Bayesian Optimisation over Multiple Continuous and Categorical Inputs", ICML 2020, eq. 4):
//   k(z, z') = lambda (k_c(x, x') + k_h(h, h')) + (1 - lambda) k_c(x, x') k_h(h, h')
// where x are the continuous dims and h the categorical dims of z, selected by index lists, and
// the trade-off lambda = sigmoid(raw) in (0, 1), raw of shape [*B]. PSD as a non-negative
// combination of a sum and a product of PSD kernels. The parts' hyperparameters are listed with
// the prefixes "continuous." and "categorical.".
//
// Example (AutoPEFT's space: 3 ordinal dims then 12 binary layer switches):
//   std::vector<std::int64_t> cont{0, 1, 2}, cat(12);
//   std::iota(cat.begin(), cat.end(), 3);
//   mixed_kernel k(matern52_kernel({.ard_num_dims = 3}), hamming_kernel({.ard_num_dims = 12}),
//                  {.continuous_dims = cont, .categorical_dims = cat});
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>
#include <autopeft/mobo/kernel/detail/scalar_parameter.hpp>
#include <autopeft/mobo/prior/any_prior.hpp>

#include <torch/torch.h>

#include <utility>
#include <vector>

namespace autopeft::mobo {

struct mixed_options {
  std::vector<std::int64_t> continuous_dims = {};
  std::vector<std::int64_t> categorical_dims = {};
  std::vector<std::int64_t> batch_shape = {};
  any_prior lambda_prior = {};
  double initial_lambda = 0.5;
};

template <class Continuous, class Categorical>
class mixed_kernel {
  static_assert(detail::check_kernel<Continuous>());
  static_assert(detail::check_kernel<Categorical>());

 public:
  mixed_kernel(Continuous continuous, Categorical categorical, const mixed_options& o)
      : kc_(std::move(continuous)),
        kh_(std::move(categorical)),
        lambda_("mixed_kernel", "lambda", o.batch_shape, o.initial_lambda, o.lambda_prior,
                constraint::unit_interval),
        cont_(index_tensor(o.continuous_dims, "continuous_dims")),
        cat_(index_tensor(o.categorical_dims, "categorical_dims")) {}

  /// z1 [..., n, d], z2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& z1, const torch::Tensor& z2) const {
    const bool same = z1.is_same(z2);
    const auto x1 = z1.index_select(-1, cont_);
    const auto h1 = z1.index_select(-1, cat_);
    // Passing one tensor twice keeps the parts' exact-diagonal path.
    const auto kc = same ? kc_(x1, x1) : kc_(x1, z2.index_select(-1, cont_));
    const auto kh = same ? kh_(h1, h1) : kh_(h1, z2.index_select(-1, cat_));
    const auto l = detail::as_matrix_scale(lambda_.value());
    return l * (kc + kh) + (1.0 - l) * kc * kh;
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const {
    std::vector<hyperparameter> out;
    detail::append_prefixed(out, kc_.hyperparameters(), "continuous");
    detail::append_prefixed(out, kh_.hyperparameters(), "categorical");
    out.push_back(lambda_.h);
    return out;
  }
  [[nodiscard]] torch::Tensor log_prior() const {
    return kc_.log_prior() + kh_.log_prior() + lambda_.log_prior();
  }
  [[nodiscard]] torch::Tensor lambda() const { return lambda_.value(); }
  [[nodiscard]] const Continuous& continuous() const noexcept { return kc_; }
  [[nodiscard]] const Categorical& categorical() const noexcept { return kh_; }

 private:
  static torch::Tensor index_tensor(const std::vector<std::int64_t>& dims, const char* field) {
    if (dims.empty())
      throw error(std::string("mixed_kernel: mixed_options.") + field +
                  " is empty; list the input dimensions (0-based) that belong to this part");
    for (auto i : dims)
      if (i < 0)
        throw error(std::string("mixed_kernel: mixed_options.") + field +
                    " holds a negative index " + std::to_string(i));
    return torch::tensor(dims, torch::kLong);
  }

  Continuous kc_;
  Categorical kh_;
  detail::scalar_parameter lambda_;
  torch::Tensor cont_, cat_;
};

}  // namespace autopeft::mobo
