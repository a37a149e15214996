#pragma once
// One entry point for every metric_kind.
#include <autopeft/data/accuracy.hpp>
#include <autopeft/data/f1.hpp>
#include <autopeft/data/f1_average.hpp>
#include <autopeft/data/matthews.hpp>
#include <autopeft/data/metric_kind.hpp>
#include <autopeft/data/pearson.hpp>
#include <autopeft/data/spearman.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace autopeft::data {

/// Computes a metric_kind from predictions and references.
///
/// - Class indices (std::int64_t, the argmax of the logits): every metric; pearson and
///   spearman correlate the indices as numbers.
/// - Real values (double, a regression head's output): pearson and spearman only.
/// - With a task_info: the task's headline metric, or `metric` when given, on the task's own
///   terms: f1 is binary for two classes and macro-averaged for more (CB's F1).
///
/// Example:
///   double m = evaluate(metric_kind::matthews, predicted_classes, labels);
///   double s = evaluate(glue_info(glue_task::stsb), predicted_scores, gold_scores);  // spearman
struct evaluate_fn {
  [[nodiscard]] double operator()(metric_kind metric, std::span<const std::int64_t> predictions,
                                  std::span<const std::int64_t> references,
                                  f1_average average = f1_average::binary) const {
    switch (metric) {
      case metric_kind::accuracy: return accuracy(predictions, references);
      case metric_kind::f1: return f1(predictions, references, average);
      case metric_kind::matthews: return matthews(predictions, references);
      case metric_kind::pearson:
      case metric_kind::spearman: {
        const std::vector<double> p(predictions.begin(), predictions.end());
        const std::vector<double> r(references.begin(), references.end());
        return (*this)(metric, p, r);
      }
    }
    throw error("evaluate: unknown metric_kind value " + std::to_string(static_cast<int>(metric)));
  }

  [[nodiscard]] double operator()(metric_kind metric, std::span<const double> predictions,
                                  std::span<const double> references) const {
    switch (metric) {
      case metric_kind::pearson: return pearson(predictions, references);
      case metric_kind::spearman: return spearman(predictions, references);
      case metric_kind::accuracy:
      case metric_kind::f1:
      case metric_kind::matthews:
        throw error(std::string("evaluate: ") + to_string(metric) +
                    " compares class indices but got real-valued predictions; pass "
                    "std::int64_t classes (the argmax of the logits)");
    }
    throw error("evaluate: unknown metric_kind value " + std::to_string(static_cast<int>(metric)));
  }

  [[nodiscard]] double operator()(const task_info& info, std::span<const std::int64_t> predictions,
                                  std::span<const std::int64_t> references,
                                  std::optional<metric_kind> metric = std::nullopt) const {
    return (*this)(metric.value_or(info.metric), predictions, references, average_for(info));
  }

  [[nodiscard]] double operator()(const task_info& info, std::span<const double> predictions,
                                  std::span<const double> references,
                                  std::optional<metric_kind> metric = std::nullopt) const {
    return (*this)(metric.value_or(info.metric), predictions, references);
  }

 private:
  static f1_average average_for(const task_info& info) {
    return info.num_labels() > 2 ? f1_average::macro : f1_average::binary;
  }
};

inline constexpr evaluate_fn evaluate{};

}  // namespace autopeft::data
