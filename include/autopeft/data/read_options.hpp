#pragma once
// What the data readers do with a row they cannot turn into an example.
#include <cstdint>

namespace autopeft::data {

/// `error`: throw an autopeft::data::line_error naming the file, line and field (the default:
/// a silently shorter dataset changes results). `skip`: drop the row and count it in the
/// read_report, as HuggingFace `datasets` drops GLUE's corrupted rows.
enum class on_bad_row : std::uint8_t { error, skip };

/// Options shared by every reader.
///
/// Example:
///   autopeft::data::read_report report;
///   auto rows = read_glue(glue_task::qqp, "glue_data/QQP/train.tsv",
///                         {.bad_rows = on_bad_row::skip}, &report);
///   // report.skipped rows were dropped; report.problems says why.
///
/// Only row-level problems can be skipped (a wrong number of fields, an unknown label, a bad
/// number, invalid JSON, a missing key). A missing file or a header without a required column
/// always throws.
struct read_options {
  on_bad_row bad_rows = on_bad_row::error;
};

}  // namespace autopeft::data
