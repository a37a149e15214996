#pragma once
// The user's own data as a study's task: train and dev files in CSV, TSV or JSON Lines, read by
// the library's readers (data::read_csv, data::read_jsonl) under a data::column_mapping made of
// the settings. The classes are the labels the train file holds, sorted as HF's run_glue sorts
// them; every problem in a file is an error naming file:line.
#include "study_settings.hpp"

#include <autopeft/data/column_mapping.hpp>
#include <autopeft/data/csv_dialect.hpp>
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/detail/json_fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/line_error.hpp>
#include <autopeft/data/read_csv.hpp>
#include <autopeft/data/read_jsonl.hpp>
#include <autopeft/data/task.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace autopeft::cli {

/// "csv", "tsv" or "jsonl": the setting data_format, else the file's extension.
inline std::string data_format_of(const study_settings& s, const std::filesystem::path& file) {
  if (!s.data_format.empty()) return s.data_format;
  return file.extension().string().substr(1);
}

/// Whether the settings' metric makes the task a regression (a number per example).
inline bool regression_metric(const study_settings& s) {
  const auto m = data::metric_from_string(s.metric);
  return m == data::metric_kind::pearson || m == data::metric_kind::spearman;
}

/// The class names of the train file's label column, without the marks of an unlabelled row
/// ("-1", empty, JSON null). Names are sorted, numerically when every name is a whole number
/// ("2" before "10"), as HF's run_glue sorts a CSV's labels. In JSON Lines, integer (and
/// boolean) labels are class indices, as data::read_jsonl reads them: the classes are then
/// 0 ... the largest index.
inline std::vector<std::string> collect_labels(const study_settings& s) {
  const std::filesystem::path file = s.train_file;
  std::set<std::string> names;
  std::optional<std::int64_t> max_index;
  std::optional<std::size_t> first_name_line, first_index_line;
  if (data_format_of(s, file) == "jsonl") {
    data::detail::line_source src(file);
    std::string line;
    while (src.next(line)) {
      if (data::detail::trim(line).empty()) continue;
      const auto row = data::detail::parse_json_row(line, file, src.line_number());
      const auto& v = row.at(s.label_column, s.label_column);
      if (v.is_string()) {
        const auto name = std::string(data::detail::trim(v.get<std::string>()));
        if (name.empty() || name == "-1") continue;
        names.insert(name);
        if (!first_name_line) first_name_line = row.line;
      } else if (v.is_boolean() || v.is_number_integer()) {
        const auto k = v.is_boolean() ? std::int64_t{v.get<bool>()} : v.get<std::int64_t>();
        if (k == -1) continue;
        if (k < 0) row.fail("label " + v.dump() + " (key '" + s.label_column + "') is not a class index; expected 0, 1, ... or a class name");
        max_index = std::max(max_index.value_or(0), k);
        if (!first_index_line) first_index_line = row.line;
      } else if (!v.is_null()) {
        row.fail("key '" + s.label_column + "' holds " + v.dump() + ", expected a class name, a class index or a boolean");
      }
    }
  } else {
    // The label column read as a text column: the reader's quoting, header and field checks.
    const data::csv_dialect dialect{.delimiter = data_format_of(s, file) == "tsv" ? '\t' : ','};
    for (const auto& ex : data::read_csv(file, {.text_a = s.label_column}, dialect)) {
      const auto name = std::string(data::detail::trim(ex.text_a));
      if (name.empty() || name == "-1") continue;
      names.insert(name);
    }
  }
  if (!names.empty() && max_index)
    throw data::line_error(file, std::max(*first_name_line, *first_index_line),
                           "labels of '" + s.label_column + "' are class names on line " + std::to_string(*first_name_line) +
                               " and class indices on line " + std::to_string(*first_index_line) +
                               "; write every label the same way");
  std::vector<std::string> out;
  if (max_index) {
    for (std::int64_t k = 0; k <= *max_index; ++k) out.push_back(std::to_string(k));
    return out;
  }
  out.assign(names.begin(), names.end());
  const bool whole_numbers = std::all_of(out.begin(), out.end(), [](const std::string& n) {
    return data::detail::parse_int(n).has_value();
  });
  if (whole_numbers)
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
      return *data::detail::parse_int(a) < *data::detail::parse_int(b);
    });
  return out;
}

/// The column mapping of the settings, with the train file's classes.
inline data::column_mapping column_mapping_of(const study_settings& s) {
  data::column_mapping m{.text_a = s.text_column, .label = s.label_column, .regression = regression_metric(s)};
  if (!s.text_pair_column.empty()) m.text_b = s.text_pair_column;
  if (!m.regression) m.labels = collect_labels(s);
  return m;
}

/// The examples of one of the files; every example must have a label (the dev set is scored).
inline std::vector<data::example> read_user_file(const study_settings& s, const std::filesystem::path& file,
                                                 const data::column_mapping& m) {
  const auto format = data_format_of(s, file);
  auto rows = format == "jsonl" ? data::read_jsonl(file, m)
                                : data::read_csv(file, m, {.delimiter = format == "tsv" ? '\t' : ','});
  if (rows.empty()) throw file_error(file, "holds no examples");
  for (const auto& ex : rows)
    if (m.regression ? std::isnan(ex.score) : ex.label < 0)
      throw data::line_error(file, ex.line,
                             "the example has no label (column '" + s.label_column +
                                 "'); every train and dev example needs one: drop the row or label it");
  return rows;
}

/// A reader's line_error as the command line says it: the library's advice in the library's
/// terms (read_options to skip bad rows, column_mapping) in the program's (the row, the flags),
/// and for an unknown label where the classes come from.
[[noreturn]] inline void rethrow_for_cli(const data::line_error& e, const study_settings& s) {
  const auto where = e.file().string() + ":" + std::to_string(e.line()) + ": ";
  std::string what = e.what();
  if (what.starts_with(where)) what.erase(0, where.size());
  const std::string mapping_advice = "fix column_mapping or the header";
  if (const auto at = what.find(mapping_advice); at != std::string::npos)
    what.replace(at, mapping_advice.size(), "name its columns with --text-column, --text-pair-column and --label-column, or fix the header");
  if (const auto advice = "; " + data::detail::bad_row_advice(); what.ends_with(advice)) {
    what.resize(what.size() - advice.size());
    if (what.find("unknown label") != std::string::npos) what += " (the classes are the labels of " + s.train_file + ")";
    what += "; fix the row";
  }
  throw data::line_error(e.file(), e.line(), what);
}

/// The task of the settings' train_file and dev_file.
inline data::task load_user_task(const study_settings& s) {
  try {
    const auto mapping = column_mapping_of(s);
    if (!mapping.regression && mapping.labels.size() < 2)
      throw file_error(s.train_file, "holds " + std::to_string(mapping.labels.size()) + " class(es) in column '" +
                                         s.label_column + "'; a classifier needs at least two (for a regression, set --metric pearson or spearman)");
    data::task t;
    t.info = {.name = s.task, .labels = mapping.labels, .regression = mapping.regression,
              .metric = data::metric_from_string(s.metric)};
    t.train = read_user_file(s, s.train_file, mapping);
    t.dev = read_user_file(s, s.dev_file, mapping);
    return t;
  } catch (const data::line_error& e) {
    rethrow_for_cli(e, s);
  }
}

}  // namespace autopeft::cli
