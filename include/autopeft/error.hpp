#pragma once
// The one exception type of the library. Every message says what is wrong, where (file, field,
// line or tensor) and, where it can, what to do about it.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace autopeft {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An error about the content of a file: the message starts with the file's path.
class file_error : public error {
 public:
  file_error(const std::filesystem::path& file, const std::string& what)
      : error(file.string() + ": " + what), file_(file) {}
  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

 private:
  std::filesystem::path file_;
};

}  // namespace autopeft
