#pragma once
// Reader of one SuperGLUE JSON Lines file (train.jsonl, val.jsonl, test.jsonl of the official
// distribution): one JSON object per line. Each item becomes one example:
//
//   task   text_a                                text_b                         label
//   BoolQ  question                              passage                        false 0, true 1
//   CB     premise                               hypothesis                     entailment 0,
//                                                                               contradiction 1,
//                                                                               neutral 2
//   COPA   premise + " What was the cause?"      "(1) " + choice1 +             0: choice1,
//           or " What happened as a result?"      " (2) " + choice2              1: choice2
//   RTE    premise                               hypothesis                     entailment 0,
//                                                                               not_entailment 1
//   WiC    word + ": " + sentence1               sentence2                      false 0, true 1
//   WSC    text                                  "Does \"" + span2_text +       false 0, true 1
//                                                 "\" refer to \"" + span1_text + "\"?"
//
// COPA's two choices go into one example, numbered in text_b, so a two-class sentence-pair
// classifier answers "which one" with its class; the question word follows the SuperGLUE
// paper's prompts. (Scoring each choice separately, as a multiple-choice head does, needs two
// examples per item, which `example` cannot tie together.) WiC's word leads text_a so the
// model sees which word to compare; WSC's target spans (span1: the candidate referent, span2:
// the pronoun) become a yes/no question about the text.
//
// A row without "label" (the test files) gives label -1. "idx" becomes example::id; a row
// without it gets its 0-based position among the file's rows.
//
// Example:
//   auto val = autopeft::data::read_superglue(superglue_task::cb, "CB/val.jsonl");
#include <autopeft/data/detail/bad_rows.hpp>
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/data/detail/json_fields.hpp>
#include <autopeft/data/detail/line_source.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/read_options.hpp>
#include <autopeft/data/read_report.hpp>
#include <autopeft/data/superglue_task.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace autopeft::data {

namespace detail {

inline std::int64_t superglue_label(superglue_task t, const json_row& row,
                                    const nlohmann::json& v) {
  switch (t) {
    case superglue_task::boolq:
    case superglue_task::wic:
    case superglue_task::wsc:
      if (!v.is_boolean()) {
        row.fail(std::string("key 'label' holds a ") + v.type_name() + ", expected true or false");
      }
      return v.get<bool>() ? 1 : 0;
    case superglue_task::copa:
      if (!v.is_number_integer() || (v.get<std::int64_t>() != 0 && v.get<std::int64_t>() != 1)) {
        row.fail("key 'label' holds " + shown(v.dump()) + ", expected 0 (choice1) or 1 (choice2)");
      }
      return v.get<std::int64_t>();
    case superglue_task::cb:
    case superglue_task::rte: {
      const auto names = superglue_info(t).labels;
      if (v.is_string()) {
        const auto s = v.get<std::string>();
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (s == names[i]) return static_cast<std::int64_t>(i);
        }
      }
      row.fail("unknown label " + shown(v.is_string() ? v.get<std::string>() : v.dump()) +
               " (field 'label'); expected one of " + listed(names));
    }
  }
  row.fail("unknown superglue_task value " + std::to_string(static_cast<int>(t)));
}

inline void superglue_texts(superglue_task t, const json_row& row, example& ex) {
  switch (t) {
    case superglue_task::boolq:
      ex.text_a = row.string_at("question", "question");
      ex.text_b = row.string_at("passage", "passage");
      return;
    case superglue_task::cb:
    case superglue_task::rte:
      ex.text_a = row.string_at("premise", "premise");
      ex.text_b = row.string_at("hypothesis", "hypothesis");
      return;
    case superglue_task::copa: {
      const auto question = row.string_at("question", "question");
      if (question != "cause" && question != "effect") {
        row.fail("unknown question " + shown(question) +
                 " (field 'question'); expected cause or effect");
      }
      ex.text_a = row.string_at("premise", "premise") +
                  (question == "cause" ? " What was the cause?" : " What happened as a result?");
      ex.text_b = "(1) " + row.string_at("choice1", "choice1") + " (2) " +
                  row.string_at("choice2", "choice2");
      return;
    }
    case superglue_task::wic:
      ex.text_a = row.string_at("word", "word") + ": " + row.string_at("sentence1", "sentence1");
      ex.text_b = row.string_at("sentence2", "sentence2");
      return;
    case superglue_task::wsc: {
      const auto& target = row.object_at("target", "target");
      const auto span1 = row.string_at("span1_text", "target.span1_text", &target);
      const auto span2 = row.string_at("span2_text", "target.span2_text", &target);
      ex.text_a = row.string_at("text", "text");
      ex.text_b = "Does \"" + span2 + "\" refer to \"" + span1 + "\"?";
      return;
    }
  }
}

/// `require_label`: a row without "label" is a bad row (train and val files) rather than an
/// unlabelled example (test files).
inline std::vector<example> read_superglue_file(superglue_task t, const std::filesystem::path& file,
                                                const read_options& options, read_report* report,
                                                bool require_label) {
  const std::string folder = superglue_folder(t);
  line_source src(file, "SuperGLUE's " + folder + " files are " + folder +
                            "/train.jsonl, val.jsonl and test.jsonl");
  std::vector<example> out;
  std::string line;
  std::size_t position = 0;
  while (src.next(line)) {
    if (trim(line).empty()) continue;
    guarded_row(options, report, [&] {
      const auto row = parse_json_row(line, file, src.line_number());
      example ex;
      ex.line = src.line_number();
      superglue_texts(t, row, ex);
      if (const auto* label = row.find("label")) {
        ex.label = superglue_label(t, row, *label);
      } else if (require_label) {
        row.fail(
            "missing key 'label'; train and val files must be labelled (is this a test "
            "file?)");
      }
      ex.id = row.id_at("idx", false).value_or(std::to_string(position));
      out.push_back(std::move(ex));
    });
    ++position;
  }
  if (report != nullptr) report->examples += out.size();
  return out;
}

}  // namespace detail

/// The examples of one SuperGLUE file, in file order. Throws autopeft::file_error for a
/// missing file and a line_error ("path:LINE: ...") for a bad row (invalid JSON, a missing
/// key, a value of the wrong type, an unknown label) unless `options.bad_rows` is
/// on_bad_row::skip; `report`, when given, counts the examples read and the rows skipped.
[[nodiscard]] inline std::vector<example> read_superglue(superglue_task t,
                                                         const std::filesystem::path& file,
                                                         const read_options& options = {},
                                                         read_report* report = nullptr) {
  return detail::read_superglue_file(t, file, options, report, false);
}

}  // namespace autopeft::data
