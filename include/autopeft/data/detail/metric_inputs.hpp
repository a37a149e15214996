#pragma once
// Input checks and the confusion matrix shared by the metrics.
#include <autopeft/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data::detail {

inline void check_lengths(std::string_view metric, std::size_t predictions,
                          std::size_t references) {
  if (predictions != references) {
    throw error(std::string(metric) + ": " + std::to_string(predictions) + " predictions but " +
                std::to_string(references) + " references; pass one prediction per example");
  }
  if (predictions == 0) {
    throw error(std::string(metric) +
                ": no predictions; the metric of an empty split is "
                "undefined, evaluate a non-empty one");
  }
}

/// Class indices must be >= 0: -1 marks an unlabelled example (a test split).
inline void check_classes(std::string_view metric, std::span<const std::int64_t> predictions,
                          std::span<const std::int64_t> references) {
  check_lengths(metric, predictions.size(), references.size());
  auto check = [&](std::span<const std::int64_t> v, const char* what) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] < 0) {
        throw error(std::string(metric) + ": " + what + "[" + std::to_string(i) + "] is " +
                    std::to_string(v[i]) +
                    (v[i] == -1 ? ", the mark of an unlabelled example (a test split?); "
                                  "evaluate on labelled examples"
                                : "; class indices are 0, 1, ..."));
      }
    }
  };
  check(predictions, "predictions");
  check(references, "references");
}

/// Counts of (reference, prediction) pairs over the sorted classes present in either.
struct confusion {
  std::vector<std::int64_t> classes;
  std::vector<double> counts;  // counts[t * k + p]: reference classes[t], prediction classes[p]

  confusion(std::span<const std::int64_t> predictions, std::span<const std::int64_t> references) {
    classes.assign(predictions.begin(), predictions.end());
    classes.insert(classes.end(), references.begin(), references.end());
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    const auto k = classes.size();
    counts.assign(k * k, 0.0);
    auto index = [&](std::int64_t c) {
      return static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), c) -
                                      classes.begin());
    };
    for (std::size_t i = 0; i < predictions.size(); ++i) {
      counts[index(references[i]) * k + index(predictions[i])] += 1.0;
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return classes.size(); }
  [[nodiscard]] double at(std::size_t t, std::size_t p) const { return counts[t * size() + p]; }
};

inline bool any_nan(std::span<const double> v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

}  // namespace autopeft::data::detail
