#pragma once
// Reader of any JSON Lines file (one JSON object per line) whose keys a column_mapping names.
// Blank lines are ignored.
//
// Example:
//   using namespace autopeft::data;
//   auto rows = read_jsonl("snli_dev.jsonl",
//                          {.text_a = "premise", .text_b = "hypothesis", .label = "label",
//                           .labels = {"entailment", "neutral", "contradiction"}});
#include <autopeft/data/column_mapping.hpp>
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/detail/json_fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/detail/text_label.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace autopeft::data {

namespace detail {

/// Reads a JSON label into `ex` under `mapping`'s rules (see column_mapping): a string is a
/// class name (or, with no names, a written index or number), an integer a class index, a
/// boolean class 0 (false) or 1 (true), a number a regression target; null, and -1 for a
/// classification, mean unlabelled.
inline void json_label(const column_mapping& mapping, const json_row& row, const nlohmann::json& v,
                       example& ex) {
  const auto& key = *mapping.label;
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  if (v.is_null()) {
    if (mapping.regression) ex.score = nan;
    return;
  }
  if (v.is_string()) {
    text_label(mapping, v.get<std::string>(), *row.file, row.line, ex);
    return;
  }
  if (mapping.regression) {
    if (!v.is_number()) {
      row.fail("key '" + key + "' holds a " + v.type_name() +
               ", expected a number (column_mapping::regression)");
    }
    ex.score = v.get<double>();
    return;
  }
  const auto classes = static_cast<std::int64_t>(mapping.labels.size());
  if (v.is_boolean()) {
    ex.label = v.get<bool>() ? 1 : 0;
  } else if (v.is_number_integer()) {
    ex.label = v.get<std::int64_t>();
    if (ex.label == -1) return;
  } else {
    row.fail("key '" + key + "' holds " + shown(v.dump()) +
             ", expected a class name, a class index or a boolean");
  }
  if (ex.label < 0 || (classes > 0 && ex.label >= classes)) {
    row.fail("label " + std::to_string(ex.label) + " (key '" + key + "') is not a class index" +
             (classes > 0
                  ? " of the " + std::to_string(classes) + " classes " + listed(mapping.labels)
                  : std::string{}) +
             "; expected 0, 1, ...");
  }
}

}  // namespace detail

/// The examples of a JSON Lines file, in file order. Text values must be JSON strings; an id
/// may be a string or an integer. Throws autopeft::error for a self-contradicting mapping,
/// autopeft::file_error for a missing file, and a line_error ("path:LINE: ...") for a bad row
/// (invalid JSON, a missing key, a value of the wrong type, an unknown label) unless
/// `options.bad_rows` is on_bad_row::skip; `report`, when given, counts examples and skips.
[[nodiscard]] inline std::vector<example> read_jsonl(const std::filesystem::path& file,
                                                     const column_mapping& mapping,
                                                     const read_options& options = {},
                                                     read_report* report = nullptr) {
  mapping.check("read_jsonl");
  detail::line_source src(file);
  std::vector<example> out;
  std::string line;
  std::size_t position = 0;
  while (src.next(line)) {
    if (detail::trim(line).empty()) continue;
    detail::guarded_row(options, report, [&] {
      const auto row = detail::parse_json_row(line, file, src.line_number());
      example ex;
      ex.line = src.line_number();
      ex.text_a = row.string_at(mapping.text_a, mapping.text_a);
      if (mapping.text_b) ex.text_b = row.string_at(*mapping.text_b, *mapping.text_b);
      if (mapping.label) {
        detail::json_label(mapping, row, row.at(*mapping.label, *mapping.label), ex);
      } else if (mapping.regression) {
        ex.score = std::numeric_limits<double>::quiet_NaN();
      }
      ex.id = mapping.id ? *row.id_at(*mapping.id, true) : std::to_string(position);
      out.push_back(std::move(ex));
    });
    ++position;
  }
  if (report != nullptr) report->examples += out.size();
  return out;
}

}  // namespace autopeft::data
