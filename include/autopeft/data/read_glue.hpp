#pragma once
// Reader of one GLUE TSV file in the layout of the official distribution (download_glue_data.py).
//
// Fields are split at tabs with no quote processing: quotes are literal text, as pandas reads
// GLUE with quoting=QUOTE_NONE and HuggingFace `datasets` with csv.QUOTE_NONE (MRPC's and
// MNLI's sentences hold unbalanced quotes). Columns are found by their header names, so their
// order does not matter; every row must have as many fields as the header.
//
//   task   columns used (text_a, text_b -> label)           labels, in class-index order
//   CoLA   train/dev have no header: source, label, original label, sentence
//          test: index, sentence                          0 unacceptable, 1 acceptable
//   SST-2  sentence -> label (test: index, sentence)      0 negative, 1 positive
//   MRPC   #1 String, #2 String -> Quality (test: index)  0 not_equivalent, 1 equivalent
//   QQP    question1, question2 -> is_duplicate; id       0 not_duplicate, 1 duplicate
//   STS-B  sentence1, sentence2 -> score; index           regression, example::score in [0, 5]
//   MNLI   sentence1, sentence2 -> gold_label; pairID     entailment, neutral, contradiction
//   QNLI   question, sentence -> label; index             entailment, not_entailment
//   RTE    sentence1, sentence2 -> label; index           entailment, not_entailment
//   WNLI   sentence1, sentence2 -> label; index           0 not_entailment, 1 entailment
//
// A file whose header lacks the label column (the test files) gives unlabelled examples:
// label -1, and for STS-B a NaN score. example::id is the id column named above where the file
// has it, else the row's 0-based position among the file's data rows (HuggingFace's `idx`).
//
// Example:
//   auto dev = autopeft::data::read_glue(glue_task::mnli, "glue_data/MNLI/dev_mismatched.tsv");
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/line_error.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/error.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

namespace detail {

struct glue_layout {
  const char* text_a;
  const char* text_b;  // nullptr for single-sentence tasks
  const char* label;
  const char* id;                         // nullptr: no id column, the row's position is used
  std::vector<std::string> label_values;  // as written in the file; empty for regression
};

inline glue_layout glue_layout_of(glue_task t) {
  switch (t) {
    case glue_task::cola: return {"sentence", nullptr, "label", "index", {"0", "1"}};
    case glue_task::sst2: return {"sentence", nullptr, "label", "index", {"0", "1"}};
    case glue_task::mrpc: return {"#1 String", "#2 String", "Quality", "index", {"0", "1"}};
    case glue_task::qqp: return {"question1", "question2", "is_duplicate", "id", {"0", "1"}};
    case glue_task::stsb: return {"sentence1", "sentence2", "score", "index", {}};
    case glue_task::mnli:
      return {"sentence1", "sentence2", "gold_label", "pairID",
              {"entailment", "neutral", "contradiction"}};
    case glue_task::qnli:
      return {"question", "sentence", "label", "index", {"entailment", "not_entailment"}};
    case glue_task::rte:
      return {"sentence1", "sentence2", "label", "index", {"entailment", "not_entailment"}};
    case glue_task::wnli: return {"sentence1", "sentence2", "label", "index", {"0", "1"}};
  }
  throw error("glue_layout_of: unknown glue_task value " + std::to_string(static_cast<int>(t)));
}

/// Column positions in one file; `label` and `id` are absent when the file lacks them.
struct glue_columns {
  std::vector<std::string> names;  // for messages
  std::string layout;              // "the header" or "CoLA's headerless train/dev layout"
  std::size_t text_a = 0;
  std::optional<std::size_t> text_b, label, id;
};

inline std::string glue_file_hint(glue_task t) {
  const std::string folder = glue_folder(t);
  return t == glue_task::mnli
             ? "GLUE's MNLI files are glue_data/MNLI/train.tsv, dev_matched.tsv, "
               "dev_mismatched.tsv, test_matched.tsv and test_mismatched.tsv"
             : "GLUE's " + folder + " files are glue_data/" + folder +
                   "/train.tsv, dev.tsv and test.tsv (download_glue_data.py fetches them)";
}

inline std::int64_t glue_label(const glue_layout& layout, std::string_view value,
                               const std::filesystem::path& file, std::size_t line) {
  const auto v = trim(value);
  for (std::size_t i = 0; i < layout.label_values.size(); ++i) {
    if (v == layout.label_values[i]) return static_cast<std::int64_t>(i);
  }
  bad_row(file, line,
          "unknown label " + shown(value) + " (field '" + layout.label + "'); expected one of " +
              listed(layout.label_values));
}

/// The examples of a file and whether its layout carries labels.
struct glue_file {
  std::vector<example> examples;
  bool labelled = false;
};

inline glue_file read_glue_file(glue_task t, const std::filesystem::path& file,
                                const read_options& options, read_report* report) {
  const auto layout = glue_layout_of(t);
  line_source src(file, glue_file_hint(t));
  std::string line;
  std::vector<std::string_view> fields;

  auto next_nonblank = [&] {
    while (src.next(line)) {
      if (!line.empty()) return true;
    }
    return false;
  };
  if (!next_nonblank()) {
    throw file_error(file, "is empty; a GLUE file starts with its header line (" +
                               glue_file_hint(t) + ")");
  }
  split_at(line, '\t', fields);

  glue_columns cols;
  // CoLA's train and dev files are the only GLUE files without a header; its test file has one.
  const bool headerless = t == glue_task::cola &&
                          !(fields.size() == 2 && fields[0] == "index" && fields[1] == "sentence");
  bool pending_row = false;  // the first line read is already a data row
  if (headerless) {
    cols.names = {"source", "label", "original label", "sentence"};
    cols.layout = "CoLA's headerless train/dev layout";
    cols.text_a = 3;
    cols.label = 1;
    pending_row = true;
  } else {
    cols.names.assign(fields.begin(), fields.end());
    cols.layout = "the header";
    const auto header_line = src.line_number();
    const std::string advice = "is this a " + std::string(glue_folder(t)) + " file? " +
                               glue_file_hint(t);
    cols.text_a = require_column(cols.names, layout.text_a, file, header_line, advice);
    if (layout.text_b != nullptr) {
      cols.text_b = require_column(cols.names, layout.text_b, file, header_line, advice);
    }
    cols.label = find_column(cols.names, layout.label, file, header_line);
    cols.id = find_column(cols.names, layout.id, file, header_line);
  }

  glue_file out;
  out.labelled = cols.label.has_value();
  std::size_t position = 0;
  auto parse_row = [&] {
    const auto at = src.line_number();
    split_at(line, '\t', fields);
    check_field_count(fields.size(), cols.names, cols.layout, file, at, "a tab");
    example ex;
    ex.line = at;
    ex.text_a = fields[cols.text_a];
    if (cols.text_b) ex.text_b = std::string(fields[*cols.text_b]);
    ex.id = cols.id ? std::string(fields[*cols.id]) : std::to_string(position);
    if (layout.label_values.empty()) {  // STS-B
      ex.score = std::numeric_limits<double>::quiet_NaN();
      if (cols.label) {
        const auto v = parse_double(fields[*cols.label]);
        if (!v) {
          bad_row(file, at,
                  "score " + shown(fields[*cols.label]) + " is not a number (field '" +
                      layout.label + "'); expected a decimal such as 3.800");
        }
        ex.score = *v;
      }
    } else if (cols.label) {
      ex.label = glue_label(layout, fields[*cols.label], file, at);
    }
    out.examples.push_back(std::move(ex));
  };

  if (pending_row) {
    guarded_row(options, report, parse_row);
    ++position;
  }
  while (next_nonblank()) {
    guarded_row(options, report, parse_row);
    ++position;
  }
  if (report != nullptr) report->examples += out.examples.size();
  return out;
}

}  // namespace detail

/// The examples of one GLUE file, in file order. Throws autopeft::file_error for a missing or
/// empty file or a header without the task's text columns, and a line_error ("path:LINE: ...")
/// for a bad row unless `options.bad_rows` is on_bad_row::skip; `report`, when given, counts
/// the examples read and the rows skipped.
[[nodiscard]] inline std::vector<example> read_glue(glue_task t, const std::filesystem::path& file,
                                                    const read_options& options = {},
                                                    read_report* report = nullptr) {
  return detail::read_glue_file(t, file, options, report).examples;
}

}  // namespace autopeft::data
