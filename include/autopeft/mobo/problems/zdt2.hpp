#pragma once
#include <autopeft/mobo/problems/detail/zdt.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

/// ZDT2 (Zitzler, Deb & Thiele 2000): d inputs in [0, 1]^d, 2 objectives to MINIMISE,
///   f0 = x0,  f1 = g (1 - (x0 / g)^2),  g = 1 + 9/(d-1) sum_{i>=1} x_i.
/// Concave front f1 = 1 - f0^2, f0 in [0, 1]. Reference point [11, 11];
/// max_hv = 121 - int_0^1 (1 - t^2) dt = 120 + 1/3. The paper uses d = 30.
struct ZDT2 {
  explicit ZDT2(std::int64_t dim_ = 6) : dim(detail::zdt_dim(dim_, "ZDT2")) {}
  std::int64_t dim;
  static constexpr std::int64_t num_objectives = 2;

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }
  /// X [..., d] -> [..., 2].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "ZDT2");
    auto f0 = X.select(-1, 0);
    auto g = detail::zdt_g(X);
    return torch::stack({f0, g * (1 - (f0 / g).pow(2))}, -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const { return detail::zdt_ref_point(); }
  [[nodiscard]] double max_hv() const { return 120.0 + 1.0 / 3.0; }
  /// n >= 2 points of the front, f0 evenly spaced over [0, 1]: [n, 2] doubles.
  [[nodiscard]] torch::Tensor pareto_front(std::int64_t n) const {
    auto f0 = torch::linspace(0.0, 1.0, n, torch::kFloat64);
    return torch::stack({f0, 1 - f0.pow(2)}, -1);
  }
};

}  // namespace autopeft::mobo
