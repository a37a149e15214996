#pragma once
// Text helpers of the study store's exports: RFC 4180 fields and replacing a file whole.
#include <autopeft/error.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace autopeft::search::detail {

/// `s` as one RFC 4180 field: quoted, with quotes doubled, when it holds a comma, a quote, a
/// CR or an LF (or starts or ends with a space, which some readers trim); as is otherwise.
[[nodiscard]] inline std::string csv_field(std::string_view s) {
  const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' '));
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// Writes `text` to `file` through a temporary sibling renamed over it, so a reader (or a crash)
/// sees the old file or the new one, never half of one.
inline void replace_file(const std::filesystem::path& file, std::string_view text,
                         std::string_view operation) {
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw file_error(file, std::string(operation) + ": cannot create '" + tmp.string() +
                                 "' (" + std::strerror(errno) +
                                 "); check that the directory exists and is writable");
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw file_error(file, std::string(operation) +
                                 ": writing failed (is the disk full?); the old file, if any, "
                                 "is unchanged");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::filesystem::remove(tmp, ec);
    throw file_error(file, std::string(operation) + ": cannot replace the file (" + reason +
                               "); check that it is not a directory and is writable");
  }
}

}  // namespace autopeft::search::detail
