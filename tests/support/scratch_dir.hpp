#pragma once
// A unique temporary directory, removed with its contents on destruction.
//
// Removal walks the tree with directory_iterator and fs::remove instead of fs::remove_all:
// LibTorch 2.x wheels export an older std::filesystem::remove_all that crashes when it binds
// ahead of libstdc++'s (seen with torch 2.11 on the GPU machine).
#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

namespace autopeft::testing {

inline void remove_tree(const std::filesystem::path& p) {
  std::error_code ec;
  if (std::filesystem::is_directory(std::filesystem::symlink_status(p, ec))) {
    std::vector<std::filesystem::path> children;
    for (const auto& e : std::filesystem::directory_iterator(p, ec)) children.push_back(e.path());
    for (const auto& c : children) remove_tree(c);
  }
  std::filesystem::remove(p, ec);
}

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
