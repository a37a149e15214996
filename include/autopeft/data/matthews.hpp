#pragma once
// Matthews correlation coefficient, binary and multi-class.
#include <autopeft/data/detail/metric_inputs.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

namespace autopeft::data {

/// Matthews correlation (Matthews 1975) in its K-class form (Gorodkin, "Comparing two K-category
/// assignments by a K-category correlation coefficient", 2004), the form scikit-learn's
/// matthews_corrcoef computes. With C the confusion matrix over the classes present, n samples,
/// c = trace(C) correct predictions, t_k = how often class k is the reference and p_k how often
/// it is predicted:
///
///   MCC = (c n - sum_k p_k t_k) / sqrt((n^2 - sum_k p_k^2) (n^2 - sum_k t_k^2))
///
/// For two classes this is (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)). It lies in
/// [-1, 1]; 0 when the denominator is 0 (predictions or references all one class), as in
/// scikit-learn. CoLA's GLUE metric. Throws autopeft::error for unequal lengths, an empty input
/// or a negative class.
struct matthews_fn {
  [[nodiscard]] double operator()(std::span<const std::int64_t> predictions,
                                  std::span<const std::int64_t> references) const {
    detail::check_classes("matthews", predictions, references);
    const detail::confusion conf(predictions, references);
    const auto n = static_cast<double>(predictions.size());
    double correct = 0, pt = 0, pp = 0, tt = 0;
    for (std::size_t k = 0; k < conf.size(); ++k) {
      double p = 0, t = 0;
      for (std::size_t j = 0; j < conf.size(); ++j) {
        p += conf.at(j, k);
        t += conf.at(k, j);
      }
      correct += conf.at(k, k);
      pt += p * t;
      pp += p * p;
      tt += t * t;
    }
    const double denominator = (n * n - pp) * (n * n - tt);
    if (denominator == 0.0) return 0.0;
    return (correct * n - pt) / std::sqrt(denominator);
  }
};

inline constexpr matthews_fn matthews{};

}  // namespace autopeft::data
