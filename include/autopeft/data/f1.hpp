#pragma once
// F1 score, binary or macro-averaged.
#include <autopeft/data/detail/metric_inputs.hpp>
#include <autopeft/data/f1_average.hpp>
#include <autopeft/error.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace autopeft::data {

/// F1 of class c = 2 TP_c / (2 TP_c + FP_c + FN_c), the harmonic mean of precision
/// TP/(TP+FP) and recall TP/(TP+FN); 0 when TP_c + FP_c + FN_c = 0 (scikit-learn's
/// zero_division default).
///
/// f1_average::binary returns the F1 of class 1 and requires every label to be 0 or 1 (as
/// scikit-learn's average="binary", pos_label=1). f1_average::macro returns the mean over the
/// classes present in the predictions or the references (scikit-learn's average="macro").
/// Throws autopeft::error for unequal lengths, an empty input or a negative class.
///
/// Example:
///   std::vector<std::int64_t> p{1, 1, 0, 0}, y{1, 0, 1, 0};
///   double f = f1(p, y);  // TP 1, FP 1, FN 1: 2 / (2 + 1 + 1) = 0.5
struct f1_fn {
  [[nodiscard]] double operator()(std::span<const std::int64_t> predictions,
                                  std::span<const std::int64_t> references,
                                  f1_average average = f1_average::binary) const {
    detail::check_classes("f1", predictions, references);
    if (average == f1_average::binary) {
      double tp = 0, fp = 0, fn = 0;
      for (std::size_t i = 0; i < predictions.size(); ++i) {
        const auto p = predictions[i], y = references[i];
        if (p > 1 || y > 1) {
          throw error("f1: binary F1 needs labels 0 and 1 but " +
                      std::string(p > 1 ? "predictions" : "references") + "[" + std::to_string(i) +
                      "] is " + std::to_string(p > 1 ? p : y) +
                      "; pass f1_average::macro for a task with more classes");
        }
        tp += p == 1 && y == 1;
        fp += p == 1 && y == 0;
        fn += p == 0 && y == 1;
      }
      return class_f1(tp, fp, fn);
    }
    const detail::confusion c(predictions, references);
    double sum = 0.0;
    for (std::size_t k = 0; k < c.size(); ++k) {
      double predicted = 0, actual = 0;
      for (std::size_t j = 0; j < c.size(); ++j) {
        predicted += c.at(j, k);
        actual += c.at(k, j);
      }
      const double tp = c.at(k, k);
      sum += class_f1(tp, predicted - tp, actual - tp);
    }
    return sum / static_cast<double>(c.size());
  }

 private:
  static double class_f1(double tp, double fp, double fn) {
    const double denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 0.0 : 2 * tp / denominator;
  }
};

inline constexpr f1_fn f1{};

}  // namespace autopeft::data
