#pragma once
// The default pretrained backbone, built once per machine and cached:
//
//   <cache>/backbones/<recipe name>-<recipe fingerprint>/     (io::cache_dir() for <cache>)
//
// The fingerprint hashes the recipe (shape, tokenizer, corpus and pretraining options and a
// format version), so changing any of them builds a new entry. An entry counts only when its
// `complete` marker exists: the backbone is built in `<entry>.partial/`, the marker written
// last, and the directory renamed into place, so a crashed or concurrent build is never taken
// for a finished one. Builders of one entry take turns through an flock on `<entry>.lock`; a
// build that was killed resumes from its last checkpoint when called again.
//
// Before building, a backbone shipped with the program is looked for: a complete entry of the
// same name in `shipped_dir` (the repository's share/backbones, or <prefix>/share/autopeft/
// backbones once installed; the build defines AUTOPEFT_SHIPPED_BACKBONES_DIR) whose files
// match the sizes and CRC-32s its autopeft.json records is used where it lies, read-only. The
// shipped `tiny` entry is what the recipe builds on a Debian machine with wordnet-base and
// fortunes (share/backbones/README.md), so the first run skips minutes of pretraining; a damaged
// copy is reported and the recipe builds the backbone instead.
//
// The default recipe is "tiny_long", whose pretraining takes hours on a CPU: its weights are
// shipped (pretrained on a GPU). Where neither the cache nor the shipped directory holds a usable
// entry of the recipe, the `fallback` recipe ("tiny", minutes on a CPU) is built instead, with a
// log line saying so; `autopeft pretrain --config tiny_long` builds the recipe itself.
#include <autopeft/error.hpp>
#include <autopeft/io/cache_dir.hpp>
#include <autopeft/io/remove_tree.hpp>
#include <autopeft/train/backbone_manifest.hpp>
#include <autopeft/train/backbone_recipe.hpp>
#include <autopeft/train/pretrain_backbone.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace autopeft::train {

struct default_backbone_options {
  backbone_recipe recipe = backbone_recipe::tiny_long();
  /// Built in place of `recipe` when no usable entry of it is cached or shipped; empty: build
  /// `recipe` itself.
  std::optional<backbone_recipe> fallback = backbone_recipe::tiny();
  /// Empty: io::cache_dir() (AUTOPEFT_CACHE_DIR, XDG_CACHE_HOME/autopeft or ~/.cache/autopeft).
  std::filesystem::path cache_dir;
  torch::Device device = torch::kCPU;
  /// bf16 autocast while pretraining on a GPU (false: fp32).
  bool bf16 = true;
  progress_callback progress;
  std::function<void(const std::string&)> log;
  /// Where shipped backbones lie (empty: none); by default the build's
  /// AUTOPEFT_SHIPPED_BACKBONES_DIR.
  std::filesystem::path shipped_dir =
#ifdef AUTOPEFT_SHIPPED_BACKBONES_DIR
      AUTOPEFT_SHIPPED_BACKBONES_DIR;
#else
      {};
#endif
};

namespace detail {

inline bool complete_entry(const std::filesystem::path& dir, const std::string& fingerprint) {
  std::ifstream in(dir / "complete");
  std::string content;
  return in && std::getline(in, content) && content == fingerprint;
}

/// An exclusive flock held for the object's lifetime (released by the kernel if the process dies).
class file_lock {
 public:
  explicit file_lock(const std::filesystem::path& file, const std::function<void(const std::string&)>& log) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw file_error(file, std::string("cannot create the lock file: ") + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (log) log("another process is building this backbone; waiting for it (" + file.string() + ")");
      while (::flock(fd_, LOCK_EX) != 0)
        if (errno != EINTR) throw file_error(file, std::string("cannot lock: ") + std::strerror(errno));
    }
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace detail

/// The directory of the cached (or shipped) backbone for `options.recipe`, building it first if
/// needed (minutes: see the recipe). The result loads with pretrained_backbone::load.
///
/// Example:
///   auto dir = train::default_backbone();                       // tiny_long (shipped), else tiny
///   auto backbone = train::pretrained_backbone::load(dir);
inline std::filesystem::path default_backbone(const default_backbone_options& options = {}) {
  namespace fs = std::filesystem;
  const auto root = (options.cache_dir.empty() ? io::cache_dir() : options.cache_dir) / "backbones";
  const auto fingerprint = options.recipe.fingerprint();
  const auto name = options.recipe.name + "-" + fingerprint;
  const auto entry = root / name;
  if (detail::complete_entry(entry, fingerprint)) return entry;
  if (!options.shipped_dir.empty()) {
    const auto shipped = options.shipped_dir / name;
    if (detail::complete_entry(shipped, fingerprint)) {
      try {
        backbone_manifest::load(shipped).verify_files(shipped);
        return shipped;
      } catch (const std::exception& e) {
        if (options.log) options.log("the shipped backbone is not usable: " + std::string(e.what()));
      }
    }
  }
  if (options.fallback) {
    if (options.log)
      options.log("no cached or shipped backbone '" + options.recipe.name + "' (" + fingerprint + "); using the recipe '" +
                  options.fallback->name + "' instead (build '" + options.recipe.name + "' with: autopeft pretrain --config " +
                  options.recipe.name + ")");
    auto fallback = options;
    fallback.recipe = *options.fallback;
    fallback.fallback.reset();
    return default_backbone(fallback);
  }

  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw file_error(root, "cannot create the cache directory (" + ec.message() + "): set AUTOPEFT_CACHE_DIR to a writable one");
  detail::file_lock lock(root / (name + ".lock"), options.log);
  if (detail::complete_entry(entry, fingerprint)) return entry;  // built while we waited
  if (fs::exists(entry)) io::remove_tree(entry);                  // no marker: not ours to trust

  const auto work = root / (name + ".partial");
  if (options.log) options.log("building the default backbone '" + options.recipe.name + "' in " + entry.string());
  pretrain_backbone(options.recipe, work, {.device = options.device, .bf16 = options.bf16, .resume = true, .keep_checkpoints = false,
                                           .progress = options.progress, .log = options.log});
  {
    std::ofstream out(work / "complete");
    out << fingerprint << '\n';
    if (!out) throw file_error(work / "complete", "write failed (disk full?)");
  }
  fs::rename(work, entry);
  return entry;
}

}  // namespace autopeft::train
