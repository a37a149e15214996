#pragma once
// Random scalarisations of m objectives, MAXIMISATION. Internal.
//   weights: uniform on the simplex (normalised exponentials: Dirichlet(1, ..., 1));
//   augmented Chebyshev (Knowles, "ParEGO", IEEE TEVC 2006), on objectives normalised to [0, 1]
//   by bounds lo, hi:  s_w(y) = min_j w_j yn_j + rho sum_j w_j yn_j,  yn = (y - lo) / (hi - lo).
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace autopeft::mobo::detail {

inline torch::Tensor simplex_weights(std::int64_t m, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ULL + 7);
  std::exponential_distribution<double> e(1.0);
  std::vector<double> w(static_cast<std::size_t>(m));
  double total = 0.0;
  for (auto& v : w) total += (v = e(rng));
  for (auto& v : w) v /= total;
  return torch::tensor(w, torch::kFloat64);
}

struct chebyshev {
  torch::Tensor weights, lower, width;  // [m]
  double rho = 0.05;

  /// Bounds from outcomes Y [n, m] (a zero range counts as 1).
  static chebyshev from_outcomes(torch::Tensor w, const torch::Tensor& y, double rho) {
    auto lo = std::get<0>(y.min(0)), hi = std::get<0>(y.max(0));
    auto width = hi - lo;
    width = torch::where(width > 1e-12, width, torch::ones_like(width));
    return {std::move(w), lo, width, rho};
  }
  /// y [..., m] -> [...].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& y) const {
    const auto wy = weights * (y - lower) / width;
    return std::get<0>(wy.min(-1)) + rho * wy.sum(-1);
  }
};

}  // namespace autopeft::mobo::detail
