#pragma once
// Per-objective mean and sample standard deviation of repeated runs (the re-training of a Pareto
// trial, a baseline's final seeds): std is 0 for a single run.
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace autopeft::search::detail {

/// ys: one objective vector per run, all of one length, at least one run.
[[nodiscard]] inline std::pair<std::vector<double>, std::vector<double>> mean_and_std(const std::vector<std::vector<double>>& ys) {
  const auto m = ys.front().size();
  const auto n = static_cast<double>(ys.size());
  std::vector<double> mean(m, 0.0), sd(m, 0.0);
  for (const auto& y : ys)
    for (std::size_t i = 0; i < m; ++i) mean[i] += y[i] / n;
  if (ys.size() > 1) {
    for (const auto& y : ys)
      for (std::size_t i = 0; i < m; ++i) sd[i] += (y[i] - mean[i]) * (y[i] - mean[i]);
    for (auto& v : sd) v = std::sqrt(v / (n - 1));
  }
  return {std::move(mean), std::move(sd)};
}

}  // namespace autopeft::search::detail
