#pragma once
// The final step of an AutoPEFT study: every Pareto configuration trained again with k seeds
// (usually at a higher fidelity than the search's), reported as mean +- std, as the paper does.
//
// The runs are trials of the companion study with role "final" ("<study>:final") in the same
// store, so they are as crash-safe as the search: a re-run after an interruption re-queues what
// was running and only adds the runs still missing. Each run's params are the configuration;
// its provenance is origin "retrain", source the search trial's number, and its seed_index.
//
// Example:
//   search::peft_evaluator<S> full(backbone, task, full_options, base);
//   auto rows = search::retrain_pareto<S>(store, study, full, {.seeds = 5});
//   for (auto& r : rows) std::printf("trial %lld: %.4f +- %.4f\n", r.source, r.mean[0], r.std[0]);
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/study/detail/mean_and_std.hpp>
#include <autopeft/search/study/final_seed.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/study/run_queue.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace autopeft::search {

struct retrain_options {
  std::int64_t seeds = 5;
};

/// The re-training of one Pareto trial: per objective, the mean and the sample standard
/// deviation over its complete runs.
struct retrained_trial {
  std::int64_t source = 0;  ///< the search trial's number
  std::vector<double> mean, std;
  std::int64_t runs = 0;    ///< complete runs behind the mean
  std::int64_t failed = 0;
};

/// The re-training results recorded so far for each source trial (read-only; empty when the
/// study was never re-trained).
[[nodiscard]] inline std::map<std::int64_t, retrained_trial> retrained_results(const study_store& store, const study_record& study) {
  std::map<std::int64_t, retrained_trial> out;
  const auto final_study = store.find_companion(study, "final");
  if (!final_study) return out;
  std::map<std::int64_t, std::vector<std::vector<double>>> runs;
  for (const auto& t : store.trials(*final_study)) {
    if (!t.provenance.source) continue;
    const auto src = *t.provenance.source;
    auto& r = out[src];
    r.source = src;
    if (t.state == trial_state::complete && t.objectives) runs[src].push_back(*t.objectives);
    if (t.state == trial_state::failed && !(t.error && t.error->starts_with("interrupted"))) ++r.failed;
  }
  for (auto& [src, ys] : runs) {
    auto& r = out[src];
    r.runs = static_cast<std::int64_t>(ys.size());
    std::tie(r.mean, r.std) = detail::mean_and_std(ys);
  }
  return out;
}

/// Trains every current Pareto trial of `study` with `options.seeds` seeds through `evaluator`
/// (runs already recorded are kept) and returns the results in the Pareto set's order.
template <class Space, class Evaluator>
std::vector<retrained_trial> retrain_pareto(study_store& store, const study_record& study, Evaluator& evaluator,
                                            const retrain_options& options, const study_callback& callback = {}) {
  static_assert(detail::check_trial_evaluator<Evaluator>());
  if (options.seeds < 1) throw error("retrain_pareto: retrain_options::seeds must be at least 1");
  auto fin = store.find_companion(study, "final");
  if (!fin) fin = store.create_companion(study, "final", {{"kind", "pareto re-training"}}, study.seed ^ 0x5eedf1a1ULL);
  store.requeue_running(*fin);

  const auto front = pareto_trials(study, store.trials(study));
  std::map<std::int64_t, std::int64_t> have;  // source -> runs enqueued (not counting retries)
  for (const auto& t : store.trials(*fin))
    if (!t.retry_of && t.provenance.source) ++have[*t.provenance.source];
  for (const auto& p : front) {
    for (auto s = have[p.number]; s < options.seeds; ++s) {
      auto params = nlohmann::json::object();
      for (const auto& [k, v] : p.params.items())
        if (k.empty() || k[0] != '_') params[k] = v;
      // Seeds paired with the baselines' final runs.
      store.enqueue(*fin, params, final_seed(study.seed, s), std::nullopt, {.origin = "retrain", .source = p.number, .seed_index = s});
    }
  }
  run_queue<Space>(store, *fin, evaluator, "retrain", callback);
  const auto results = retrained_results(store, study);
  std::vector<retrained_trial> out;
  for (const auto& p : front) {
    auto it = results.find(p.number);
    out.push_back(it != results.end() ? it->second : retrained_trial{.source = p.number});
  }
  return out;
}

}  // namespace autopeft::search
