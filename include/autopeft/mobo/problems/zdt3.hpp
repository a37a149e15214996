#pragma once
#include <autopeft/mobo/problems/detail/zdt.hpp>

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <numbers>
#include <utility>
#include <vector>

namespace autopeft::mobo {

/// ZDT3 (Zitzler, Deb & Thiele 2000): d inputs in [0, 1]^d, 2 objectives to MINIMISE,
///   f0 = x0,  f1 = g (1 - sqrt(x0 / g) - (x0 / g) sin(10 pi x0)),  g = 1 + 9/(d-1) sum_{i>=1} x_i.
/// The front is the non-dominated part of f1 = 1 - sqrt(f0) - f0 sin(10 pi f0): five
/// disconnected pieces (`parts`). Reference point [11, 11]; max_hv 128.77811613069076.
/// Note: BoTorch's ZDT3 leaves out the factor g in f1; both agree on the Pareto set (g = 1) and
/// so on the front and max_hv, but not elsewhere. This is the paper's definition.
struct ZDT3 {
  explicit ZDT3(std::int64_t dim_ = 6) : dim(detail::zdt_dim(dim_, "ZDT3")) {}
  std::int64_t dim;
  static constexpr std::int64_t num_objectives = 2;

  /// The f0 ranges of the five pieces of the front; the first includes 0, every piece includes
  /// its right end, and the left end of pieces 2-5 is weakly dominated by the previous right end.
  static constexpr std::array<std::pair<double, double>, 5> parts{{{0.0, 0.0830015349},
                                                                   {0.1822287280, 0.2577623634},
                                                                   {0.4093136748, 0.4538821041},
                                                                   {0.6183967944, 0.6525117038},
                                                                   {0.8233317983, 0.8518328654}}};

  [[nodiscard]] torch::Tensor bounds() const { return detail::unit_bounds(dim); }
  /// X [..., d] -> [..., 2].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "ZDT3");
    auto f0 = X.select(-1, 0);
    auto g = detail::zdt_g(X);
    auto r = f0 / g;
    return torch::stack({f0, g * (1 - torch::sqrt(r) - r * torch::sin(10 * std::numbers::pi * f0))},
                        -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const { return detail::zdt_ref_point(); }
  [[nodiscard]] double max_hv() const { return 128.77811613069076; }
  /// n >= 10 points of the front, spread over the five pieces in proportion to their widths:
  /// [n, 2] doubles.
  [[nodiscard]] torch::Tensor pareto_front(std::int64_t n) const {
    double total = 0.0;
    for (auto [a, b] : parts) total += b - a;
    std::vector<double> f0;
    f0.reserve(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const auto [a, b] = parts[k];
      const auto count = k + 1 < parts.size()
                             ? static_cast<std::int64_t>(static_cast<double>(n) * (b - a) / total)
                             : n - static_cast<std::int64_t>(f0.size());
      for (std::int64_t i = 0; i < count; ++i) {  // piece 1 from its left end, others exclude it
        const double t = k == 0 ? static_cast<double>(i) / static_cast<double>(count - 1)
                                : static_cast<double>(i + 1) / static_cast<double>(count);
        f0.push_back(a + t * (b - a));
      }
    }
    auto x = torch::tensor(f0, torch::kFloat64);
    return torch::stack({x, 1 - torch::sqrt(x) - x * torch::sin(10 * std::numbers::pi * x)}, -1);
  }
};

}  // namespace autopeft::mobo
