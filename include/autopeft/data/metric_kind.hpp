#pragma once
// The task metrics GLUE and SuperGLUE report.
#include <autopeft/error.hpp>

#include <string>
#include <string_view>

namespace autopeft::data {

enum class metric_kind { accuracy, f1, matthews, pearson, spearman };

inline const char* to_string(metric_kind m) {
  switch (m) {
    case metric_kind::accuracy: return "accuracy";
    case metric_kind::f1: return "f1";
    case metric_kind::matthews: return "matthews";
    case metric_kind::pearson: return "pearson";
    case metric_kind::spearman: return "spearman";
  }
  return "?";
}

inline metric_kind metric_from_string(std::string_view s) {
  for (auto m : {metric_kind::accuracy, metric_kind::f1, metric_kind::matthews,
                 metric_kind::pearson, metric_kind::spearman})
    if (s == to_string(m)) return m;
  throw error("unknown metric '" + std::string(s) +
              "': use one of accuracy, f1, matthews, pearson, spearman");
}

}  // namespace autopeft::data
