#pragma once
// Where autopeft caches what it builds once per machine (the pretrained default backbone):
//   $AUTOPEFT_CACHE_DIR                    if set
//   $XDG_CACHE_HOME/autopeft               otherwise, if XDG_CACHE_HOME is set
//   $HOME/.cache/autopeft                  otherwise
#include <autopeft/error.hpp>

#include <cstdlib>
#include <filesystem>

namespace autopeft::io {

[[nodiscard]] inline std::filesystem::path cache_dir() {
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  if (const char* d = env("AUTOPEFT_CACHE_DIR")) return d;
  if (const char* d = env("XDG_CACHE_HOME")) return std::filesystem::path(d) / "autopeft";
  if (const char* d = env("HOME")) return std::filesystem::path(d) / ".cache" / "autopeft";
  throw error("autopeft's cache directory is unknown: set AUTOPEFT_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
}

}  // namespace autopeft::io
