#pragma once
// A whole GLUE task from its folder in the official distribution.
#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/read_glue.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/data/task.hpp>
#include <autopeft/error.hpp>

#include <filesystem>
#include <string>
#include <system_error>

namespace autopeft::data {

/// Reads `dir`/train.tsv, dev.tsv and test.tsv (MNLI: dev_matched.tsv and test_matched.tsv;
/// read the mismatched files with read_glue) into a task with glue_info(t). `dir` is the task's
/// folder, e.g. "glue_data/SST-2". train and dev are required and must carry labels; test is
/// optional (left empty when the file is absent) and unlabelled. `options` and `report` apply
/// to all three files.
///
/// Example:
///   autopeft::data::task rte = load_glue(glue_task::rte, "glue_data/RTE");
[[nodiscard]] inline task load_glue(glue_task t, const std::filesystem::path& dir,
                                    const read_options& options = {},
                                    read_report* report = nullptr) {
  namespace fs = std::filesystem;
  const std::string folder = glue_folder(t);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw file_error(dir, "is not a folder; pass the task's folder, e.g. glue_data/" + folder);
  }
  if (!fs::exists(dir / "train.tsv", ec) && fs::exists(dir / folder / "train.tsv", ec)) {
    throw file_error(dir, "has no train.tsv but " + folder +
                              "/train.tsv: pass the task's folder, " + (dir / folder).string());
  }
  const bool mnli = t == glue_task::mnli;
  const fs::path train = dir / "train.tsv";
  const fs::path dev = dir / (mnli ? "dev_matched.tsv" : "dev.tsv");
  const fs::path test = dir / (mnli ? "test_matched.tsv" : "test.tsv");

  task out;
  out.info = glue_info(t);
  auto labelled_split = [&](const fs::path& file) {
    auto f = detail::read_glue_file(t, file, options, report);
    if (!f.labelled) {
      throw file_error(file, "has no '" + std::string(detail::glue_layout_of(t).label) +
                                 "' column, so no labels; train and dev files must be labelled "
                                 "(is this a test file?)");
    }
    return std::move(f.examples);
  };
  out.train = labelled_split(train);
  out.dev = labelled_split(dev);
  if (fs::exists(test, ec)) out.test = detail::read_glue_file(t, test, options, report).examples;
  return out;
}

}  // namespace autopeft::data
