#pragma once
// Removes a file or a directory with its contents, reporting nothing and throwing nothing.
//
// Walks the tree with directory_iterator and fs::remove instead of std::filesystem::remove_all:
// LibTorch 2.x wheels export an older std::filesystem::remove_all that crashes when it binds
// ahead of libstdc++'s (seen with torch 2.11 on the GPU machine).
#include <filesystem>
#include <system_error>
#include <vector>

namespace autopeft::io {

inline void remove_tree(const std::filesystem::path& p) {
  std::error_code ec;
  if (std::filesystem::is_directory(std::filesystem::symlink_status(p, ec))) {
    std::vector<std::filesystem::path> children;
    for (const auto& e : std::filesystem::directory_iterator(p, ec)) children.push_back(e.path());
    for (const auto& c : children) remove_tree(c);
  }
  std::filesystem::remove(p, ec);
}

}  // namespace autopeft::io
