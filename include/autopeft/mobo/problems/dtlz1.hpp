#pragma once
#include <autopeft/mobo/problems/detail/checks.hpp>
#include <autopeft/mobo/problems/detail/dtlz.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace autopeft::mobo {

/// DTLZ1 (Deb, Thiele, Laumanns & Zitzler 2005): d inputs in [0, 1]^d, m objectives to MINIMISE.
/// With k = d - m + 1 distance variables x_M (the last k),
///   g = 100 (k + sum_{x_M} ((x_i - 0.5)^2 - cos(20 pi (x_i - 0.5)))),
///   f_0 = 0.5 (1 + g) x_0 ... x_{m-2},
///   f_i = 0.5 (1 + g) x_0 ... x_{m-2-i} (1 - x_{m-1-i}),  i = 1..m-1.
/// The front is the simplex sum_i f_i = 0.5 (g = 0 at x_M = 0.5); the many local fronts make it
/// hard. Reference point 400 per objective (Yang et al. 2019, as BoTorch), so
///   max_hv = 400^m - 0.5^m / m!   (the box minus the simplex's corner).
/// BoTorch's `_max_hv` says 400^m - 1/2^m, which leaves out the 1/m!; this is the exact volume.
struct DTLZ1 {
  explicit DTLZ1(std::int64_t dim_ = 6, std::int64_t num_objectives_ = 2)
      : dim(dim_), num_objectives(num_objectives_) {
    detail::check_dtlz(dim, num_objectives, "DTLZ1");
  }
  std::int64_t dim;
  std::int64_t num_objectives;

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }
  /// X [..., d] -> [..., m].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "DTLZ1");
    const auto m = num_objectives, k = dim - m + 1;
    auto xm = X.narrow(-1, dim - k, k) - 0.5;
    auto g = 100 * (k + (xm.pow(2) - torch::cos(20 * std::numbers::pi * xm)).sum(-1));
    auto half = 0.5 * (1 + g);
    std::vector<torch::Tensor> f;
    for (std::int64_t i = 0; i < m; ++i) {
      const auto idx = m - 1 - i;
      auto fi = half * X.narrow(-1, 0, idx).prod(-1);
      if (i > 0) fi = fi * (1 - X.select(-1, idx));
      f.push_back(fi);
    }
    return torch::stack(f, -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const {
    return torch::full({num_objectives}, 400.0, torch::kFloat64);
  }
  [[nodiscard]] double max_hv() const {
    const auto m = static_cast<double>(num_objectives);
    return std::pow(400.0, m) - std::pow(0.5, m) / std::tgamma(m + 1);
  }
  /// n points of the front (the simplex sum f = 0.5): position variables evenly spaced over
  /// [0, 1] for m = 2, a Halton sequence otherwise; distance variables at 0.5. [n, m] doubles.
  [[nodiscard]] torch::Tensor pareto_front(std::int64_t n) const {
    const auto m = num_objectives;
    auto position = m == 2 ? torch::linspace(0.0, 1.0, n, torch::kFloat64).unsqueeze(1)
                           : detail::halton(n, m - 1);
    auto x = torch::cat({position, torch::full({n, dim - m + 1}, 0.5, torch::kFloat64)}, 1);
    return evaluate(x);
  }
};

}  // namespace autopeft::mobo
