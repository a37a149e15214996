#pragma once
// Drives a headless Chromium from tests: screenshots and the parsed DOM of a local page, to
// check that generated HTML really renders. Each run gets its own profile folder and HOME
// under `work_dir` (Chromium wants both writable), runs under `timeout`, and has stdout and
// stderr captured to files (Chromium is chatty on stderr: D-Bus, GPU, ... even on success).
//
// Example:
//   auto exe = autopeft::testing::find_chromium();
//   if (exe.empty()) { WARN("chromium not installed: skipped"); return; }
//   autopeft::testing::headless_chromium browser{exe, dir.path};
//   auto shot = browser.screenshot(dir / "page.html", dir / "page.png", 1280, 2000);
//   auto dom = browser.dump_dom(dir / "page.html");   // dom.out holds the serialised DOM
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace autopeft::testing {

/// The Chromium program: $AUTOPEFT_CHROMIUM if set, else the first of chromium,
/// chromium-browser, google-chrome, google-chrome-stable on PATH; empty when there is none.
inline std::filesystem::path find_chromium() {
  if (const char* env = std::getenv("AUTOPEFT_CHROMIUM"); env && *env)
    return ::access(env, X_OK) == 0 ? std::filesystem::path(env) : std::filesystem::path();
  const char* path = std::getenv("PATH");
  if (!path) return {};
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

/// A file:// URL for an absolute path, percent-encoding all but unreserved characters and '/'.
inline std::string file_url(const std::filesystem::path& file) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (unsigned char c : std::filesystem::absolute(file).string()) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += hex[c >> 4];
      url += hex[c & 15];
    }
  }
  return url;
}

struct chromium_run {
  int exit_code = -1;  // the program's exit status; 124 when `timeout` stopped it
  std::string out;     // stdout (the DOM for dump_dom)
  std::string err;     // stderr, for the failure message
  std::string command;
};

class headless_chromium {
 public:
  headless_chromium(std::filesystem::path exe, std::filesystem::path work_dir, int timeout_s = 60)
      : exe_(std::move(exe)), work_(std::move(work_dir)), timeout_s_(timeout_s) {}

  /// Renders `page` in a width x height window and writes the viewport to `png`.
  [[nodiscard]] chromium_run screenshot(const std::filesystem::path& page, const std::filesystem::path& png,
                                        int width, int height) const {
    return run({"--hide-scrollbars", "--screenshot=" + std::filesystem::absolute(png).string(),
                "--window-size=" + std::to_string(width) + "," + std::to_string(height), file_url(page)});
  }

  /// The DOM of `page` after parsing, serialised as HTML, in `out`.
  [[nodiscard]] chromium_run dump_dom(const std::filesystem::path& page) const {
    return run({"--dump-dom", file_url(page)});
  }

 private:
  static std::string quote(std::string_view s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  chromium_run run(const std::vector<std::string>& args) const {
    static std::atomic<int> counter{0};
    const auto dir = work_ / ("chromium-" + std::to_string(counter++));
    std::filesystem::create_directories(dir / "home");
    const auto home = quote((dir / "home").string());
    chromium_run r;
    r.command = "env HOME=" + home + " XDG_CONFIG_HOME=" + home + " XDG_CACHE_HOME=" + home +
                " timeout -k 5 " + std::to_string(timeout_s_) + " " + quote(exe_.string()) +
                " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                " --no-default-browser-check --disable-extensions --mute-audio"
                " --user-data-dir=" + quote((dir / "profile").string());
    for (const auto& a : args) r.command += " " + quote(a);
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    const int status = std::system((r.command + " >" + quote(out.string()) + " 2>" + quote(err.string()) +
                                    " </dev/null").c_str());
    r.exit_code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::filesystem::path exe_, work_;
  int timeout_s_;
};

}  // namespace autopeft::testing
