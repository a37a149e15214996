#pragma once
// What a reader did with a file, for the caller who asked to skip bad rows.
#include <cstddef>
#include <string>
#include <vector>

namespace autopeft::data {

/// Counts of one or more reads. Readers add to the counts rather than reset them, so one report
/// can cover the three files of load_glue() or several calls in a row.
struct read_report {
  /// The most messages kept in `problems`; `skipped` counts them all.
  static constexpr std::size_t max_problems = 20;

  std::size_t examples = 0;                // rows turned into examples
  std::size_t skipped = 0;                 // bad rows dropped under on_bad_row::skip
  std::vector<std::string> problems = {};  // "path:LINE: what" of the first skipped rows
};

}  // namespace autopeft::data
