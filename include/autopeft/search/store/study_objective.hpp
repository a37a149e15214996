#pragma once
// One objective of a study: its name and whether it is minimised.
#include <string>

namespace autopeft::search {

/// An objective a study records for every complete trial, in the order the study lists them.
///
/// Example:
///   std::vector<autopeft::search::study_objective> objectives{
///       {.name = "accuracy"}, {.name = "params_pct", .minimize = true}};
struct study_objective {
  std::string name;       // the column name in exports: "objective.<name>"
  bool minimize = false;  // the default sense is maximisation
  friend bool operator==(const study_objective&, const study_objective&) = default;
};

}  // namespace autopeft::search
