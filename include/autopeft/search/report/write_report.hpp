#pragma once
// Writes the study report atomically: the page goes to a temporary file beside the target,
// which is then renamed over it, so a browser or a CI job polling the file never reads half a
// page, and a failed write leaves the previous report in place.
#include <autopeft/error.hpp>
#include <autopeft/search/report/render_report.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

namespace autopeft::search {

/// Renders `data` and writes it to `path`, creating missing parent folders.
/// Throws autopeft::file_error when the folder cannot be made or the file cannot be written.
inline void write_report(const report_data& data, const std::filesystem::path& path,
                         const report_options& options = {}) {
  namespace fs = std::filesystem;
  const std::string html = render_report(data, options);
  std::error_code ec;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  fs::create_directories(dir, ec);
  if (ec)
    throw file_error(path, "cannot create the report's folder (" + ec.message() +
                               "); check the path and its permissions");
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = dir / ("." + path.filename().string() + ".tmp-" +
                              std::to_string(::getpid()) + "-" + std::to_string(counter++));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw file_error(path, "cannot write the report (temporary file " + tmp.string() +
                                 "); check free space and permissions of the folder");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw file_error(path, "cannot move the finished report into place (" + ec.message() +
                               "); is the path a folder?");
  }
}

}  // namespace autopeft::search
