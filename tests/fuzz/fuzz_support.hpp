#pragma once
// What the fuzz targets share: a scratch directory for readers that take a path, the split of
// one input into several files, and the contract every target checks.
//
// The contract: a reader given any bytes returns or throws autopeft::error (file_error,
// line_error). Anything else escapes the target and libFuzzer reports it as a crash: another
// exception type, a sanitizer report, a trap from a broken law (check()), a timeout or an
// allocation past -malloc_limit_mb.
#include <autopeft/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace autopeft::fuzz {

/// A directory of this process's own: $AUTOPEFT_FUZZ_SCRATCH (scripts/fuzz.sh sets it and removes
/// it afterwards), else one in /dev/shm where it exists (no disk writes per input). libFuzzer
/// leaves by _Exit after a crash, which skips the atexit clean-up.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    if (const char* given = std::getenv("AUTOPEFT_FUZZ_SCRATCH"); given != nullptr && *given != '\0') {
      std::filesystem::create_directories(given);
      return std::filesystem::path(given);
    }
    std::error_code ec;
    const std::filesystem::path shm = "/dev/shm";
    const auto base = std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
    auto d = base / ("autopeft-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return d;
  }();
  return dir;
}

/// Writes `bytes` to `name` in the scratch directory and returns its path.
inline std::filesystem::path write_file(const std::string& name, std::string_view bytes) {
  auto path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

/// Separates the files of a multi-file input (vocab | merges | text, config | weights).
inline constexpr std::string_view separator = "\n====\n";

/// The first `n` parts of `data` split at `separator`; the last part takes the rest, and
/// missing parts are empty.
inline std::vector<std::string_view> split(const std::uint8_t* data, std::size_t size, std::size_t n) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n) {
    const auto at = rest.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + separator.size());
  }
  parts.push_back(rest);
  parts.resize(n);
  return parts;
}

/// Runs `f`; the library's own error is an accepted answer to bad input.
template <class F>
bool accepts(F&& f) {
  try {
    f();
    return true;
  } catch (const autopeft::error&) {
    return false;
  }
}

/// A law every answer must obey; a broken one stops the run with the input saved.
inline void check(bool ok, const char* law) {
  if (!ok) {
    std::fprintf(stderr, "fuzz: law broken: %s\n", law);
    std::abort();
  }
}

}  // namespace autopeft::fuzz
