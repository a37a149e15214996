#pragma once
// Small text helpers shared by the readers: splitting, trimming, number parsing, and the
// quoting of values and names in messages.
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/line_error.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace autopeft::data::detail {

/// Splits `line` at every `sep`, with no quote processing; the views point into `line`.
inline void split_at(std::string_view line, char sep, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const auto pos = line.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

inline std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

/// A value as messages show it: quoted, and shortened past 40 characters.
inline std::string shown(std::string_view v) {
  constexpr std::size_t most = 40;
  if (v.size() <= most) return "'" + std::string(v) + "'";
  return "'" + std::string(v.substr(0, most)) + "...'";
}

/// "a, b, c": the names a message offers as the accepted values.
inline std::string listed(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

[[noreturn]] inline void bad_row(const std::filesystem::path& file, std::size_t line,
                                 const std::string& what) {
  throw line_error(file, line, what + "; " + bad_row_advice());
}

/// A whole-field decimal integer, surrounding spaces allowed.
inline std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// A whole-field finite decimal number ("4.750", "1e-3"), surrounding spaces allowed.
inline std::optional<double> parse_double(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

/// The position of column `name` in `header`, nullopt when absent. Throws a line_error at the
/// header line when the name appears twice; callers read the header outside any skip guard,
/// since no row can be read without it.
inline std::optional<std::size_t> find_column(const std::vector<std::string>& header,
                                              const std::string& name,
                                              const std::filesystem::path& file,
                                              std::size_t header_line) {
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] != name) continue;
    if (at) {
      throw line_error(file, header_line,
                       "column '" + name + "' appears twice in the header (fields " +
                           std::to_string(*at + 1) + " and " + std::to_string(i + 1) +
                           "); rename one of them");
    }
    at = i;
  }
  return at;
}

inline std::size_t require_column(const std::vector<std::string>& header, const std::string& name,
                                  const std::filesystem::path& file, std::size_t header_line,
                                  const std::string& advice) {
  if (auto at = find_column(header, name, file, header_line)) return *at;
  throw line_error(
      file, header_line,
      "the header has no column '" + name + "' (it has: " + listed(header) + "); " + advice);
}

/// Checks that a row has as many fields as `columns` and names the first missing or extra one;
/// `layout` says where the columns come from in the message ("the header"), `separator` what
/// splits fields ("a tab").
inline void check_field_count(std::size_t found, const std::vector<std::string>& columns,
                              std::string_view layout, const std::filesystem::path& file,
                              std::size_t line, std::string_view separator) {
  if (found == columns.size()) return;
  std::string what = "found " + std::to_string(found) + " fields where " + std::string(layout) +
                     " has " + std::to_string(columns.size());
  if (found < columns.size()) {
    what += " (field '" + columns[found] + "' is missing)";
  } else {
    what += " (an extra field after '" + columns.back() + "'; does a text field contain " +
            std::string(separator) + "?)";
  }
  bad_row(file, line, what);
}

}  // namespace autopeft::data::detail
