#pragma once
// Does the search beat the hand-designed baselines? One verdict per baseline, from the
// re-trained Pareto set only: the search-time metric of a trial is the best of many noisy
// draws, so only its re-training with fresh seeds is a fair match for the baselines' final runs.
//
// The rule, for a baseline with mean metric B (over its final runs) at X % parameters, and the
// Pareto trials with a re-trained mean M at P % parameters (those without re-training results
// are left out):
//   - a trial dominates the baseline when M >= B and P <= X, with at least one strict; the
//     verdict names the cheapest (smallest P, then highest M):
//       "dominated by trial N: re-trained M ± sd at P params, against B at X"
//   - a trial equal to the baseline on both (M == B and P == X; the baseline's own configuration,
//     re-trained on the same paired seeds, is one) matches it:
//       "matched by trial N: re-trained M at P params, equal to B at X"
//     (no more parameters and a mean no lower: the weak form of dominance);
//   - otherwise the best trial within the baseline's budget (highest M with P <= X):
//       "not dominated: best found within its budget (<= X params) is trial N at M (re-trained), against B"
//   - or, when no trial is that small:
//       "not dominated: no configuration found at or below X params"
//   A "not dominated" sentence ends with "; K Pareto trial(s) within its budget not re-trained
//   yet" when such trials exist. Nothing is compared when no Pareto trial has been re-trained
//   ("not compared: the Pareto set has not been re-trained") or the baseline has no final
//   result ("not compared: its final runs have not finished").
// Numbers read as in the report: four significant digits, shares as "0.27%".
//
// Example:
//   for (const auto& v : search::baseline_verdicts(search::study_report_data(store, study)))
//     std::printf("%s: %s\n", v.name.c_str(), v.sentence.c_str());
#include <autopeft/search/report/baseline_verdict.hpp>
#include <autopeft/search/report/detail/html.hpp>
#include <autopeft/search/report/report_data.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

/// One verdict per baseline of `data`, in the order of data.baselines (see the rule above).
[[nodiscard]] inline std::vector<baseline_verdict> baseline_verdicts(const report_data& data) {
  using detail::format_percent, detail::format_spread, detail::format_value;
  struct member {
    int trial;
    double pct, mean;
    std::optional<double> sd;
  };
  std::vector<member> retrained;
  std::vector<double> pending;  // % parameters of the Pareto trials not re-trained yet
  std::vector<int> seen;
  for (const auto& p : data.pareto) {
    if (std::find(seen.begin(), seen.end(), p.trial) != seen.end()) continue;
    seen.push_back(p.trial);
    const auto t = std::find_if(data.trials.begin(), data.trials.end(), [&](const auto& r) { return r.number == p.trial; });
    if (t == data.trials.end() || !t->pct_params || !std::isfinite(*t->pct_params)) continue;
    if (p.retrained_mean && std::isfinite(*p.retrained_mean))
      retrained.push_back({p.trial, *t->pct_params, *p.retrained_mean,
                           p.retrained_std && std::isfinite(*p.retrained_std) ? p.retrained_std : std::nullopt});
    else
      pending.push_back(*t->pct_params);
  }

  std::vector<baseline_verdict> out;
  for (const auto& b : data.baselines) {
    baseline_verdict v{.name = b.name};
    if (!std::isfinite(b.metric) || !std::isfinite(b.pct_params)) {
      v.sentence = "not compared: its final runs have not finished";
    } else if (retrained.empty()) {
      v.sentence = "not compared: the Pareto set has not been re-trained";
    } else {
      v.compared = true;
      const member* by = nullptr;    // the cheapest dominating trial
      const member* twin = nullptr;  // a trial equal to the baseline on both objectives
      const member* best = nullptr;  // the best trial within the budget
      for (const auto& m : retrained) {
        if (m.pct > b.pct_params) continue;
        if (m.mean >= b.metric && (m.mean > b.metric || m.pct < b.pct_params) &&
            (!by || m.pct < by->pct || (m.pct == by->pct && m.mean > by->mean)))
          by = &m;
        if (m.mean == b.metric && m.pct == b.pct_params) twin = &m;
        if (!best || m.mean > best->mean || (m.mean == best->mean && m.pct < best->pct)) best = &m;
      }
      const std::string budget = format_percent(b.pct_params);
      if (by) {
        v.dominated = true;
        v.by_trial = by->trial;
        v.sentence = "dominated by trial " + std::to_string(by->trial) + ": re-trained " + format_value(by->mean) +
                     (by->sd ? " \xC2\xB1 " + format_spread(*by->sd) : std::string()) + " at " +
                     format_percent(by->pct) + " params, against " + format_value(b.metric) + " at " + budget;
      } else if (twin) {
        v.matched_by = twin->trial;
        v.best_within_budget = best->trial;
        v.sentence = "matched by trial " + std::to_string(twin->trial) + ": re-trained " + format_value(twin->mean) + " at " +
                     format_percent(twin->pct) + " params, equal to " + format_value(b.metric) + " at " + budget;
      } else if (best) {
        v.best_within_budget = best->trial;
        v.sentence = "not dominated: best found within its budget (<= " + budget + " params) is trial " +
                     std::to_string(best->trial) + " at " + format_value(best->mean) + " (re-trained), against " +
                     format_value(b.metric);
      } else {
        v.sentence = "not dominated: no configuration found at or below " + budget + " params";
      }
      if (!by && !twin) {
        const auto waiting = std::count_if(pending.begin(), pending.end(), [&](double p) { return p <= b.pct_params; });
        if (waiting > 0)
          v.sentence += "; " + std::to_string(waiting) + " Pareto trial" + (waiting == 1 ? "" : "s") +
                        " within its budget not re-trained yet";
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace autopeft::search
