#pragma once
// Splits a delimited text file into records (RFC 4180): a record is a line, or several when a
// quoted field holds line breaks. Line breaks inside a quoted field come back as "\n" whatever
// the file used.
#include <autopeft/data/csv_dialect.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/line_error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::data::detail {

class csv_records {
 public:
  csv_records(line_source& src, const csv_dialect& dialect) : src_(src), dialect_(dialect) {}

  /// Column names used by messages about malformed quoting; by position until set.
  void name_columns(const std::vector<std::string>& names) { names_ = &names; }

  /// Reads the next non-blank record into `fields`; `first_line` is where it starts. False at
  /// the end of the file. Throws line_error for bad quoting; the record is consumed all the
  /// same, so reading can go on after a skipped record.
  bool next(std::vector<std::string>& fields, std::size_t& first_line) {
    do {
      if (!src_.next(line_)) return false;
    } while (line_.empty());
    first_line = src_.line_number();
    fields.clear();
    const char q = dialect_.quote;
    std::string field;
    std::optional<std::string> problem;
    bool in_quotes = false, closed = false;  // closed: the field's closing quote has been read
    for (;;) {
      for (std::size_t i = 0; i < line_.size(); ++i) {
        const char c = line_[i];
        if (in_quotes) {
          if (c != q) {
            field += c;
          } else if (i + 1 < line_.size() && line_[i + 1] == q) {
            field += q;
            ++i;
          } else {
            in_quotes = false;
            closed = true;
          }
        } else if (c == dialect_.delimiter) {
          fields.push_back(std::move(field));
          field.clear();
          closed = false;
        } else if (closed) {
          if (!problem) {
            problem = "unexpected " + shown(std::string_view(&line_[i], 1)) +
                      " after the closing quote of " + name(fields.size()) +
                      "; a quote inside a quoted field is written twice (\"\")";
          }
        } else if (q != '\0' && c == q && field.empty()) {
          in_quotes = true;
        } else {
          field += c;
        }
      }
      if (!in_quotes) break;
      field += '\n';
      if (!src_.next(line_)) {
        bad_row(src_.file(), first_line,
                "the quoted " + name(fields.size()) +
                    " opened in this record is never closed before the end of the file; add the "
                    "closing quote");
      }
    }
    fields.push_back(std::move(field));
    if (problem) bad_row(src_.file(), first_line, *problem);
    return true;
  }

 private:
  [[nodiscard]] std::string name(std::size_t column) const {
    if (names_ != nullptr && column < names_->size()) return "field '" + (*names_)[column] + "'";
    return "field " + std::to_string(column + 1);
  }

  line_source& src_;
  csv_dialect dialect_;
  const std::vector<std::string>* names_ = nullptr;
  std::string line_;
};

}  // namespace autopeft::data::detail
