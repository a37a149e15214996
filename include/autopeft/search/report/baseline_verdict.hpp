#pragma once
// How one hand-designed baseline fares against a study's re-trained Pareto set; made by
// baseline_verdicts, printed by the command line and listed by the report.
#include <optional>
#include <string>

namespace autopeft::search {

struct baseline_verdict {
  std::string name;               ///< the baseline's label, e.g. "LoRA r=8 (query, value)"
  bool compared = false;          ///< false when the baseline or the Pareto set has no final result yet
  bool dominated = false;         ///< some re-trained Pareto trial is as good and as small, and better in one
  std::optional<int> by_trial;    ///< the cheapest such trial, when dominated
  /// Otherwise a re-trained Pareto trial equal to the baseline on both objectives (no more
  /// parameters, no lower mean: the weak form of dominance), if any.
  std::optional<int> matched_by;
  std::optional<int> best_within_budget;  ///< otherwise the best re-trained trial as small as the baseline, if any
  std::string sentence;           ///< the verdict in words, without the name: print `name + ": " + sentence`
};

}  // namespace autopeft::search
