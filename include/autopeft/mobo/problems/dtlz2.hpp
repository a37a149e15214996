#pragma once
#include <autopeft/mobo/problems/detail/checks.hpp>
#include <autopeft/mobo/problems/detail/dtlz.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace autopeft::mobo {

/// DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2005): d inputs in [0, 1]^d, m objectives to MINIMISE.
/// With k = d - m + 1 distance variables x_M (the last k) and g = sum_{x_M} (x_i - 0.5)^2,
///   f_0 = (1 + g) cos(x_0 pi/2) ... cos(x_{m-2} pi/2),
///   f_i = (1 + g) cos(x_0 pi/2) ... cos(x_{m-2-i} pi/2) sin(x_{m-1-i} pi/2),  i = 1..m-1.
/// The front is the positive orthant of the unit sphere (g = 0 at x_M = 0.5), concave.
/// Reference point 1.1 per objective, so
///   max_hv = 1.1^m - pi^(m/2) / (2^m Gamma(m/2 + 1))   (the box minus the orthant of the ball).
struct DTLZ2 {
  explicit DTLZ2(std::int64_t dim_ = 6, std::int64_t num_objectives_ = 2)
      : dim(dim_), num_objectives(num_objectives_) {
    detail::check_dtlz(dim, num_objectives, "DTLZ2");
  }
  std::int64_t dim;
  std::int64_t num_objectives;

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }
  /// X [..., d] -> [..., m].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "DTLZ2");
    const auto m = num_objectives, k = dim - m + 1;
    auto g = (X.narrow(-1, dim - k, k) - 0.5).pow(2).sum(-1);
    auto angle = X * (std::numbers::pi / 2);
    std::vector<torch::Tensor> f;
    for (std::int64_t i = 0; i < m; ++i) {
      const auto idx = m - 1 - i;
      auto fi = (1 + g) * torch::cos(angle.narrow(-1, 0, idx)).prod(-1);
      if (i > 0) fi = fi * torch::sin(angle.select(-1, idx));
      f.push_back(fi);
    }
    return torch::stack(f, -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const {
    return torch::full({num_objectives}, 1.1, torch::kFloat64);
  }
  [[nodiscard]] double max_hv() const {
    const auto m = static_cast<double>(num_objectives);
    return std::pow(1.1, m) -
           std::pow(std::numbers::pi, m / 2) / (std::pow(2.0, m) * std::tgamma(m / 2 + 1));
  }
  /// n points of the front (the unit sphere's positive orthant): position variables evenly
  /// spaced over [0, 1] for m = 2, a Halton sequence otherwise; distance variables at 0.5.
  /// [n, m] doubles.
  [[nodiscard]] torch::Tensor pareto_front(std::int64_t n) const {
    const auto m = num_objectives;
    auto position = m == 2 ? torch::linspace(0.0, 1.0, n, torch::kFloat64).unsqueeze(1)
                           : detail::halton(n, m - 1);
    auto x = torch::cat({position, torch::full({n, dim - m + 1}, 0.5, torch::kFloat64)}, 1);
    return evaluate(x);
  }
};

}  // namespace autopeft::mobo
