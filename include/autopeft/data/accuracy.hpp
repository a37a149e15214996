#pragma once
// Classification accuracy.
#include <autopeft/data/detail/metric_inputs.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace autopeft::data {

/// accuracy = (1/n) sum_i [p_i == y_i], over n class-index predictions p and references y.
/// Throws autopeft::error for unequal lengths, an empty input or a negative class.
///
/// Example:
///   std::vector<std::int64_t> p{1, 0, 1}, y{1, 1, 1};
///   double a = accuracy(p, y);  // 2/3
struct accuracy_fn {
  [[nodiscard]] double operator()(std::span<const std::int64_t> predictions,
                                  std::span<const std::int64_t> references) const {
    detail::check_classes("accuracy", predictions, references);
    std::size_t hits = 0;
    for (std::size_t i = 0; i < predictions.size(); ++i) hits += predictions[i] == references[i];
    return static_cast<double>(hits) / static_cast<double>(predictions.size());
  }
};

inline constexpr accuracy_fn accuracy{};

}  // namespace autopeft::data
