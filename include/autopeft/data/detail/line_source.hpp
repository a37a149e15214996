#pragma once
// Reads a text file one line at a time, whatever its line endings: drops a leading UTF-8 byte
// order mark, the '\r' of CRLF endings, and reads a last line that has no newline.
#include <autopeft/error.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace autopeft::data::detail {

class line_source {
 public:
  /// Throws autopeft::file_error when `file` is missing, a directory or unreadable; `hint` ends
  /// the "no such file" message with what to do.
  explicit line_source(std::filesystem::path file, const std::string& hint = {})
      : file_(std::move(file)) {
    std::error_code ec;
    const auto status = std::filesystem::status(file_, ec);
    if (!std::filesystem::exists(status)) {
      throw file_error(
          file_, "no such file (working directory: " + std::filesystem::current_path(ec).string() +
                     ")" + (hint.empty() ? "; check the path" : "; " + hint));
    }
    if (std::filesystem::is_directory(status)) {
      throw file_error(file_, "is a directory; pass the data file inside it" +
                                  (hint.empty() ? std::string{} : " (" + hint + ")"));
    }
    in_.open(file_, std::ios::binary);
    if (!in_) throw file_error(file_, "cannot be opened for reading; check its permissions");
  }

  /// The next line, without its line ending; false at the end of the file.
  bool next(std::string& line) {
    if (!std::getline(in_, line)) {
      if (in_.bad()) {
        throw file_error(file_, "read error after line " + std::to_string(line_) +
                                    "; is the file on a device that went away?");
      }
      return false;
    }
    ++line_;
    if (line_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  /// 1-based number of the line last returned by next().
  [[nodiscard]] std::size_t line_number() const noexcept { return line_; }
  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
  std::ifstream in_;
  std::size_t line_ = 0;
};

}  // namespace autopeft::data::detail
