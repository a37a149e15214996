#pragma once
// The Pareto set of a study: its complete trials that no other complete trial dominates. In a
// multi-fidelity study each configuration counts once, with its result at the highest rung it
// reached (highest_fidelity).
#include <autopeft/error.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>
#include <autopeft/search/store/study_record.hpp>
#include <autopeft/search/store/trial_record.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace autopeft::search {

/// A configuration's identity across trials: its params without the driver's '_' bookkeeping
/// keys, as canonical JSON text (object keys sorted).
[[nodiscard]] inline std::string configuration_key(const nlohmann::json& params) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : params.items())
    if (k.empty() || k[0] != '_') j[k] = v;
  return j.dump();
}

/// The complete trials that stand for their configurations: of the complete trials of one
/// configuration that carry a fidelity, the one at the highest rung (the later one on a tie);
/// complete trials without a fidelity all stand. Trial order is kept.
[[nodiscard]] inline std::vector<trial_record> highest_fidelity(const std::vector<trial_record>& trials) {
  std::map<std::string, std::size_t> best;  // configuration -> index into trials
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (t.state != trial_state::complete || !t.objectives || !t.fidelity) continue;
    auto [it, fresh] = best.emplace(configuration_key(t.params), i);
    if (!fresh && trials[it->second].fidelity->level <= t.fidelity->level) it->second = i;
  }
  std::vector<trial_record> out;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (t.state != trial_state::complete || !t.objectives) continue;
    if (t.fidelity && best.at(configuration_key(t.params)) != i) continue;
    out.push_back(t);
  }
  return out;
}

/// The non-dominated complete trials of `trials` (one study's; each configuration at its highest
/// fidelity), in the study's objective senses,
/// sorted by the last objective, then the first (for AutoPEFT: by % parameters). Of several
/// trials with equal objectives the first is kept.
[[nodiscard]] inline std::vector<trial_record> pareto_trials(const study_record& study, const std::vector<trial_record>& trials) {
  std::vector<trial_record> complete;
  std::vector<double> y;
  for (const auto& t : highest_fidelity(trials))
    if (t.objectives->size() == study.objectives.size()) {
      complete.push_back(t);
      for (std::size_t i = 0; i < study.objectives.size(); ++i)
        y.push_back(study.objectives[i].minimize ? -(*t.objectives)[i] : (*t.objectives)[i]);
    }
  if (complete.empty()) return {};
  const auto n = static_cast<std::int64_t>(complete.size());
  const auto m = static_cast<std::int64_t>(study.objectives.size());
  const auto keep = mobo::is_non_dominated(torch::tensor(y, torch::kFloat64).view({n, m})).contiguous();
  std::vector<trial_record> out;
  for (std::int64_t i = 0; i < n; ++i)
    if (keep[i].item<bool>()) out.push_back(complete[static_cast<std::size_t>(i)]);
  std::stable_sort(out.begin(), out.end(), [](const trial_record& a, const trial_record& b) {
    if (a.objectives->back() != b.objectives->back()) return a.objectives->back() < b.objectives->back();
    return a.objectives->front() < b.objectives->front();
  });
  return out;
}

/// Hypervolume of the complete trials of `trials` (one study's; each configuration at its
/// highest fidelity) with respect to
/// `reference_point`, given like the objectives: in their units and senses.
[[nodiscard]] inline double study_hypervolume(const study_record& study, const std::vector<trial_record>& trials,
                                              const std::vector<double>& reference_point) {
  if (reference_point.size() != study.objectives.size())
    throw error("study_hypervolume: study \"" + study.name + "\" has " + std::to_string(study.objectives.size()) +
                " objectives but the reference point " + std::to_string(reference_point.size()) +
                " values: give one per objective, in the study's order");
  std::vector<double> y;
  std::int64_t n = 0;
  for (const auto& t : highest_fidelity(trials))
    if (t.objectives->size() == study.objectives.size()) {
      for (std::size_t i = 0; i < t.objectives->size(); ++i)
        y.push_back(study.objectives[i].minimize ? -(*t.objectives)[i] : (*t.objectives)[i]);
      ++n;
    }
  if (n == 0) return 0.0;
  std::vector<double> ref;
  for (std::size_t i = 0; i < study.objectives.size(); ++i)
    ref.push_back(study.objectives[i].minimize ? -reference_point[i] : reference_point[i]);
  const auto m = static_cast<std::int64_t>(study.objectives.size());
  return mobo::hypervolume(torch::tensor(y, torch::kFloat64).view({n, m}), torch::tensor(ref, torch::kFloat64));
}

}  // namespace autopeft::search
