#pragma once
// Product of kernels: k(x, y) = prod_j k_j(x, y). PSD by the Schur product theorem. The j-th
// part's hyperparameters are listed with the prefix "k<j>.". Parts must have broadcastable
// batch shapes.
//
// Example:
//   product_kernel k(matern52_kernel({.ard_num_dims = 3}), hamming_kernel({.ard_num_dims = 3}));
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/kernel/detail/combine.hpp>

#include <torch/torch.h>

#include <tuple>
#include <utility>
#include <vector>

namespace autopeft::mobo {

template <class... Ks>
class product_kernel {
  static_assert(sizeof...(Ks) >= 1, "autopeft::mobo::product_kernel needs at least one kernel");
  static_assert((detail::check_kernel<Ks>() && ...));

 public:
  explicit product_kernel(Ks... parts) : parts_(std::move(parts)...) {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return std::apply([&](const auto&... k) { return (k(x1, x2) * ...); }, parts_);
  }
  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const {
    return detail::prefixed_hyperparameters(parts_);
  }
  [[nodiscard]] torch::Tensor log_prior() const { return detail::summed_log_prior(parts_); }
  [[nodiscard]] const std::tuple<Ks...>& parts() const noexcept { return parts_; }

 private:
  std::tuple<Ks...> parts_;
};

}  // namespace autopeft::mobo
