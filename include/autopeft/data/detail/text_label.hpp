#pragma once
// A label written as text, read under a column_mapping's rules; shared by read_csv and
// read_jsonl.
#include <autopeft/data/column_mapping.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/example.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string_view>

namespace autopeft::data::detail {

/// Reads a label written as text into `ex` under `mapping`'s rules (see column_mapping).
inline void text_label(const column_mapping& mapping, std::string_view value,
                       const std::filesystem::path& file, std::size_t line, example& ex) {
  const auto& column = *mapping.label;
  const auto v = trim(value);
  if (mapping.regression) {
    if (v.empty()) {
      ex.score = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    const auto x = parse_double(v);
    if (!x) {
      bad_row(file, line,
              "label " + shown(value) + " is not a number (field '" + column +
                  "'); a regression label is a decimal such as 0.75");
    }
    ex.score = *x;
    return;
  }
  // A class may be named "-1" (sentiment scales); only otherwise does -1 mean unlabelled.
  for (std::size_t i = 0; i < mapping.labels.size(); ++i) {
    if (v == mapping.labels[i]) {
      ex.label = static_cast<std::int64_t>(i);
      return;
    }
  }
  if (v == "-1") return;
  if (!mapping.labels.empty()) {
    bad_row(file, line,
            "unknown label " + shown(value) + " (field '" + column + "'); expected one of " +
                listed(mapping.labels) + " (column_mapping::labels)");
  }
  const auto k = parse_int(v);
  if (!k || *k < 0) {
    bad_row(file, line,
            "label " + shown(value) + " is not a class index (field '" + column +
                "'); expected 0, 1, ..., or name the classes in column_mapping::labels");
  }
  ex.label = *k;
}

}  // namespace autopeft::data::detail
