#pragma once
// Reader of any delimited text file (CSV, TSV) whose columns a column_mapping names.
//
// Example:
//   using namespace autopeft::data;
//   read_report report;
//   auto rows = read_csv("reviews.csv",
//                        {.text_a = "text", .label = "sentiment", .labels = {"neg", "pos"}},
//                        {}, {.bad_rows = on_bad_row::skip}, &report);
#include <autopeft/data/column_mapping.hpp>
#include <autopeft/data/csv_dialect.hpp>
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/detail/csv_records.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/detail/text_label.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/error.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

/// The examples of a delimited file, in file order. Every record must have as many fields as
/// the header (or, with `dialect.header` false, as the first record). Throws autopeft::error
/// for a self-contradicting mapping, autopeft::file_error for a missing file or a column the
/// header lacks, and a line_error ("path:LINE: ...", LINE being where the record starts) for a
/// bad record (a wrong number of fields, bad quoting, an unknown label, a bad number) unless
/// `options.bad_rows` is on_bad_row::skip; `report`, when given, counts examples and skips.
[[nodiscard]] inline std::vector<example> read_csv(const std::filesystem::path& file,
                                                   const column_mapping& mapping,
                                                   const csv_dialect& dialect = {},
                                                   const read_options& options = {},
                                                   read_report* report = nullptr) {
  mapping.check("read_csv");
  if (dialect.delimiter == dialect.quote || dialect.delimiter == '\n' ||
      dialect.delimiter == '\r') {
    throw error("read_csv: csv_dialect's delimiter " + detail::shown({&dialect.delimiter, 1}) +
                " cannot be the quote or a line break; choose another");
  }
  detail::line_source src(file);
  detail::csv_records records(src, dialect);
  std::vector<std::string> names, fields;
  std::size_t first_line = 0;
  bool pending_row = false;  // without a header, the first record is already data

  // The header is read outside any skip guard: no row can be read without it.
  if (!records.next(fields, first_line)) {
    throw file_error(
        file, dialect.header ? "is empty; expected a header row naming the columns" : "is empty");
  }
  if (dialect.header) {
    names = fields;
  } else {
    for (std::size_t i = 0; i < fields.size(); ++i) names.push_back(std::to_string(i));
    pending_row = true;
  }
  records.name_columns(names);
  const std::size_t header_line = first_line;
  const std::string advice =
      dialect.header ? "fix column_mapping or the header"
                     : "without a header, columns are named by 0-based position: \"0\", \"1\", ...";
  auto column = [&](const std::string& n) {
    return detail::require_column(names, n, file, header_line, advice);
  };
  const std::size_t text_a = column(mapping.text_a);
  const std::optional<std::size_t> text_b =
      mapping.text_b ? std::optional(column(*mapping.text_b)) : std::nullopt;
  const std::optional<std::size_t> label =
      mapping.label ? std::optional(column(*mapping.label)) : std::nullopt;
  const std::optional<std::size_t> id =
      mapping.id ? std::optional(column(*mapping.id)) : std::nullopt;
  const std::string delimiter_name =
      dialect.delimiter == '\t' ? "tab" : "'" + std::string(1, dialect.delimiter) + "'";
  const std::string separator = (dialect.quote == '\0' ? "a " : "an unquoted ") + delimiter_name;

  std::vector<example> out;
  std::size_t position = 0;
  auto parse_row = [&] {
    detail::check_field_count(fields.size(), names, dialect.header ? "the header" : "the first row",
                              file, first_line, separator);
    example ex;
    ex.line = first_line;
    ex.text_a = fields[text_a];
    if (text_b) ex.text_b = fields[*text_b];
    ex.id = id ? fields[*id] : std::to_string(position);
    if (label) {
      detail::text_label(mapping, fields[*label], file, first_line, ex);
    } else if (mapping.regression) {
      ex.score = std::numeric_limits<double>::quiet_NaN();
    }
    out.push_back(std::move(ex));
  };
  if (pending_row) {
    detail::guarded_row(options, report, parse_row);
    ++position;
  }
  for (;;) {
    bool more = true;
    // Bad quoting is found while the record is split, so the split is guarded too.
    detail::guarded_row(options, report, [&] {
      more = records.next(fields, first_line);
      if (more) parse_row();
    });
    if (!more) break;
    ++position;
  }
  if (report != nullptr) report->examples += out.size();
  return out;
}

}  // namespace autopeft::data
