#pragma once
// A unique temporary directory, removed with its contents on destruction.
#include <autopeft/io/remove_tree.hpp>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

namespace autopeft::testing {

// The library's own walk (it avoids std::filesystem::remove_all, see io/remove_tree.hpp).
using io::remove_tree;

struct scratch_dir {
  std::filesystem::path path;
  explicit scratch_dir(const std::string& tag = "test") {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("autopeft-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    remove_tree(path);
    std::filesystem::create_directories(path);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() { remove_tree(path); }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

}  // namespace autopeft::testing
