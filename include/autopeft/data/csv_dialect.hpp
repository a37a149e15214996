#pragma once
// How a delimited text file is written.
namespace autopeft::data {

/// The RFC 4180 defaults: comma-separated, '"'-quoted, with a header row. A quoted field may
/// hold the delimiter, line breaks and doubled quotes ("" for "); a quote inside an unquoted
/// field is an ordinary character.
///
/// Example:
///   csv_dialect tsv{.delimiter = '\t'};                    // tab-separated, quoted
///   csv_dialect raw{.delimiter = '\t', .quote = '\0'};     // GLUE style: no quoting at all
///   csv_dialect bare{.header = false};                     // columns named "0", "1", ...
struct csv_dialect {
  char delimiter = ',';
  char quote = '"';    // '\0': no quoting, every character is literal
  bool header = true;  // false: the first row is data and columns are named by position
};

}  // namespace autopeft::data
