#pragma once
// A whole SuperGLUE task from its folder in the official distribution.
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/data/read_superglue.hpp>
#include <autopeft/data/superglue_task.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>

#include <filesystem>
#include <string>
#include <system_error>

namespace autopeft::data {

/// Reads `dir`/train.jsonl, val.jsonl (into task::dev) and test.jsonl into a task with
/// superglue_info(t). `dir` is the task's folder, e.g. "superglue/BoolQ". train and val are
/// required and every row must carry a label; test is optional (left empty when absent) and
/// unlabelled. `options` and `report` apply to all three files.
///
/// Example:
///   autopeft::data::task cb = load_superglue(superglue_task::cb, "superglue/CB");
[[nodiscard]] inline task load_superglue(superglue_task t, const std::filesystem::path& dir,
                                         const read_options& options = {},
                                         read_report* report = nullptr) {
  namespace fs = std::filesystem;
  const std::string folder = superglue_folder(t);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw file_error(dir, "is not a folder; pass the task's folder, e.g. superglue/" + folder);
  }
  if (!fs::exists(dir / "train.jsonl", ec) && fs::exists(dir / folder / "train.jsonl", ec)) {
    throw file_error(dir, "has no train.jsonl but " + folder +
                              "/train.jsonl: pass the task's folder, " + (dir / folder).string());
  }
  task out;
  out.info = superglue_info(t);
  out.train = detail::read_superglue_file(t, dir / "train.jsonl", options, report, true);
  out.dev = detail::read_superglue_file(t, dir / "val.jsonl", options, report, true);
  if (fs::exists(dir / "test.jsonl", ec)) {
    out.test = detail::read_superglue_file(t, dir / "test.jsonl", options, report, false);
  }
  return out;
}

}  // namespace autopeft::data
