#pragma once
// One labelled text example, the unit every reader and the embedded benchmark produce.
#include <cstdint>
#include <optional>
#include <string>

namespace autopeft::data {

/// A single- or sentence-pair example. Classification tasks fill `label` (a class index,
/// -1 when the file carries no label, as GLUE's test files); regression tasks (STS-B) fill
/// `score` and leave `label` at -1.
struct example {
  std::string text_a;
  std::optional<std::string> text_b;  // sentence-pair tasks only
  std::int64_t label = -1;
  double score = 0.0;
  std::string id;         // the source's own identifier when it has one ("idx", "pairID", ...)
  std::size_t line = 0;   // 1-based line in the source file, for messages

  [[nodiscard]] bool is_pair() const noexcept { return text_b.has_value(); }
  [[nodiscard]] bool is_labelled() const noexcept { return label >= 0; }
};

}  // namespace autopeft::data
