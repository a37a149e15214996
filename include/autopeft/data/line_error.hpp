#pragma once
// An autopeft::file_error that points at one line of the file.
#include <autopeft/error.hpp>

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace autopeft::data {

/// A problem with one row of a data file. what() reads "path:LINE: message", the form compilers
/// use, so terminals and editors link it to the line; file() and line() give the parts.
///
/// It derives from file_error so callers catch one type for every data-file problem. file_error's
/// own message is "path: message"; this class keeps the located text in a std::runtime_error
/// member, whose copy never throws, and returns it from what().
class line_error : public file_error {
 public:
  line_error(const std::filesystem::path& file, std::size_t line, const std::string& message)
      : file_error(file, message),
        line_(line),
        located_(file.string() + ":" + std::to_string(line) + ": " + message) {}

  [[nodiscard]] const char* what() const noexcept override { return located_.what(); }
  /// 1-based line of the row (for a CSV record spanning several lines, its first line).
  [[nodiscard]] std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_;
  std::runtime_error located_;
};

}  // namespace autopeft::data
