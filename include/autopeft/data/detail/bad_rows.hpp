#pragma once
// The one place where a bad row either stops the read or is skipped and counted.
#include <autopeft/data/line_error.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>

#include <string>

namespace autopeft::data::detail {

/// Ends every row message: what the caller can do about it.
inline const std::string& bad_row_advice() {
  static const std::string s =
      "fix the row, or read with read_options{.bad_rows = on_bad_row::skip} to drop such rows";
  return s;
}

/// Runs `parse_row()`. A line_error it throws is rethrown
/// under on_bad_row::error and counted in `report` (when given) under on_bad_row::skip. Other
/// exceptions (file-level problems, bad_alloc) always propagate. The readers count the
/// examples themselves, once the file is read.
template <class ParseRow>
void guarded_row(const read_options& options, read_report* report, ParseRow&& parse_row) {
  try {
    parse_row();
  } catch (const line_error& e) {
    if (options.bad_rows == on_bad_row::error) throw;
    if (report != nullptr) {
      ++report->skipped;
      if (report->problems.size() < read_report::max_problems) {
        // The advice to skip such rows has been taken; the report keeps what was wrong.
        std::string what = e.what();
        const std::string advice = "; " + bad_row_advice();
        if (what.ends_with(advice)) what.resize(what.size() - advice.size());
        report->problems.push_back(std::move(what));
      }
    }
  }
}

}  // namespace autopeft::data::detail
