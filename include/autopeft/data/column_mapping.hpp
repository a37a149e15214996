#pragma once
// Which columns of a CSV file, or keys of a JSON Lines file, make an example.
#include <autopeft/data/detail/fields.hpp>
#include <autopeft/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

/// Column names (CSV, by header name, or by 0-based position "0", "1", ... without a header)
/// or top-level keys (JSON Lines).
///
/// A label value becomes a class index by its position in `labels`; with `labels` empty the
/// value must be the class index itself (0, 1, ...). With `regression` the value is a number
/// read into example::score. Unlabelled rows (test splits) are marked by a class label of -1,
/// HuggingFace's convention, by an empty regression label (-1 is a valid score), and in JSON by
/// null; they get label -1, and for regression a NaN score.
///
/// Example:
///   column_mapping m{.text_a = "premise", .text_b = "hypothesis", .label = "label",
///                    .labels = {"entailment", "neutral", "contradiction"}, .id = "pair_id"};
struct column_mapping {
  // Every member has a default initializer, so that designated initialisers which leave some
  // out do not trip GCC 12's -Wmissing-field-initializers.
  std::string text_a = {};
  std::optional<std::string> text_b = std::nullopt;  // sentence-pair tasks only
  std::optional<std::string> label = std::nullopt;   // absent: no labels (label -1, score NaN)
  std::vector<std::string> labels = {};  // class names as the file writes them, in class order
  bool regression = false;               // the label is a number: example::score
  std::optional<std::string> id = std::nullopt;  // absent: the row's 0-based position

  /// Throws autopeft::error when the mapping contradicts itself; `reader` names the caller.
  void check(std::string_view reader) const {
    const std::string where = std::string(reader) + ": column_mapping";
    if (text_a.empty()) throw error(where + ".text_a is empty; name the column holding the text");
    if (regression && !labels.empty()) {
      throw error(where + " has regression = true and labels {" + detail::listed(labels) +
                  "}; a regression task has no class names: drop one of them");
    }
  }
};

}  // namespace autopeft::data
