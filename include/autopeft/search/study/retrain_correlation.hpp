#pragma once
// How well the search's objective predicted what re-training measured: Spearman's rank
// correlation between each re-trained Pareto trial's search-time metric (at the highest rung it
// reached) and the mean metric of its re-training runs. A low-fidelity search that misranks
// shows here: near 0 (or below), its front was chosen by noise.
//
// Example:
//   const auto c = search::retrain_correlation(store, study);
//   if (c.n >= 3) std::printf("Spearman %.2f over %lld configurations\n", c.rho, static_cast<long long>(c.n));
#include <autopeft/data/spearman.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/study/retrain_pareto.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace autopeft::search {

struct retrain_correlation_result {
  double rho = std::numeric_limits<double>::quiet_NaN();  ///< NaN with fewer than 3 pairs
  std::int64_t n = 0;                                      ///< Pareto trials with re-training results
};

[[nodiscard]] inline retrain_correlation_result retrain_correlation(const study_store& store, const study_record& study) {
  const auto retrained = retrained_results(store, study);
  std::vector<double> searched, measured;
  for (const auto& t : pareto_trials(study, store.trials(study)))
    if (auto it = retrained.find(t.number); it != retrained.end() && it->second.runs > 0) {
      searched.push_back((*t.objectives)[0]);
      measured.push_back(it->second.mean[0]);
    }
  retrain_correlation_result r;
  r.n = static_cast<std::int64_t>(searched.size());
  if (r.n >= 3) r.rho = data::spearman_fn{}(searched, measured);
  return r;
}

}  // namespace autopeft::search
