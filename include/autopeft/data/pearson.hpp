#pragma once
// Pearson correlation coefficient.
#include <autopeft/data/detail/metric_inputs.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

namespace autopeft::data {

/// r = sum_i (x_i - mean x)(y_i - mean y) / sqrt(sum_i (x_i - mean x)^2 sum_i (y_i - mean y)^2),
/// computed in two passes (means first) for accuracy, clamped to [-1, 1] against rounding.
/// NaN when either input is constant (the correlation is undefined; scipy.stats.pearsonr also
/// returns NaN) or holds a NaN. STS-B's second GLUE metric. Throws autopeft::error for unequal
/// lengths or an empty input.
struct pearson_fn {
  [[nodiscard]] double operator()(std::span<const double> predictions,
                                  std::span<const double> references) const {
    detail::check_lengths("pearson", predictions.size(), references.size());
    return correlation(predictions, references);
  }

  /// The formula without the input checks, for spearman_fn's ranks.
  static double correlation(std::span<const double> x, std::span<const double> y) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    if (detail::any_nan(x) || detail::any_nan(y)) return nan;
    // Tested exactly: a rounded mean can leave a constant input tiny nonzero deviations.
    auto constant = [](std::span<const double> v) {
      return std::all_of(v.begin(), v.end(), [&](double a) { return a == v.front(); });
    };
    if (constant(x) || constant(y)) return nan;
    const auto n = static_cast<double>(x.size());
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      mx += x[i];
      my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double dx = x[i] - mx, dy = y[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    if (sxx == 0.0 || syy == 0.0) return nan;  // underflow of tiny deviations
    return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  }
};

inline constexpr pearson_fn pearson{};

}  // namespace autopeft::data
