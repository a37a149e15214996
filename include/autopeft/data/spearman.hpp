#pragma once
// Spearman rank correlation coefficient.
#include <autopeft/data/detail/metric_inputs.hpp>
#include <autopeft/data/pearson.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

namespace autopeft::data {

/// rho = the Pearson correlation of the ranks of x and of y (Spearman 1904). Ranks are 1-based
/// and tied values share the mean of the ranks they span (values 7, 3, 3, 9 rank 3, 1.5, 1.5, 4),
/// as scipy.stats.spearmanr ranks them. NaN when either input is constant or holds a NaN.
/// STS-B's headline GLUE metric. Throws autopeft::error for unequal lengths or an empty input.
struct spearman_fn {
  [[nodiscard]] double operator()(std::span<const double> predictions,
                                  std::span<const double> references) const {
    detail::check_lengths("spearman", predictions.size(), references.size());
    // NaN breaks the ordering the ranking sorts by; its correlation is NaN anyway.
    if (detail::any_nan(predictions) || detail::any_nan(references)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    const auto rx = average_ranks(predictions), ry = average_ranks(references);
    return pearson_fn::correlation(rx, ry);
  }

  /// 1-based ranks with ties given their mean rank.
  static std::vector<double> average_ranks(std::span<const double> v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> ranks(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i + 1;
      while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
      // Positions i..j-1 (0-based) hold one value: ranks i+1..j, whose mean is (i + 1 + j) / 2.
      const double rank = static_cast<double>(i + 1 + j) / 2.0;
      for (std::size_t k = i; k < j; ++k) ranks[order[k]] = rank;
      i = j;
    }
    return ranks;
  }
};

inline constexpr spearman_fn spearman{};

}  // namespace autopeft::data
