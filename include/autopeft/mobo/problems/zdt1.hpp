#pragma once
#include <autopeft/mobo/problems/detail/zdt.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

/// ZDT1 (Zitzler, Deb & Thiele 2000): d inputs in [0, 1]^d, 2 objectives to MINIMISE,
///   f0 = x0,  f1 = g (1 - sqrt(x0 / g)),  g = 1 + 9/(d-1) sum_{i>=1} x_i.
/// Convex front f1 = 1 - sqrt(f0), f0 in [0, 1]. Reference point [11, 11] (Yang et al. 2019, as
/// BoTorch); max_hv = 121 - int_0^1 (1 - sqrt(t)) dt = 120 + 2/3. The paper uses d = 30.
struct ZDT1 {
  explicit ZDT1(std::int64_t dim_ = 6) : dim(detail::zdt_dim(dim_, "ZDT1")) {}
  std::int64_t dim;
  static constexpr std::int64_t num_objectives = 2;

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }
  /// X [..., d] -> [..., 2].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "ZDT1");
    auto f0 = X.select(-1, 0);
    auto g = detail::zdt_g(X);
    return torch::stack({f0, g * (1 - torch::sqrt(f0 / g))}, -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const { return detail::zdt_ref_point(); }
  [[nodiscard]] double max_hv() const { return 120.0 + 2.0 / 3.0; }
  /// n >= 2 points of the front, f0 evenly spaced over [0, 1]: [n, 2] doubles.
  [[nodiscard]] torch::Tensor pareto_front(std::int64_t n) const {
    auto f0 = torch::linspace(0.0, 1.0, n, torch::kFloat64);
    return torch::stack({f0, 1 - torch::sqrt(f0)}, -1);
  }
};

}  // namespace autopeft::mobo
