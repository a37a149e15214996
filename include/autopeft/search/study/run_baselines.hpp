#pragma once
// The hand-designed baselines of a study, trained as fairly as the search's configurations:
// each method first on a small learning-rate grid (one seed per rate, stage "grid"), then at
// the rate with the best dev metric with `seeds` fresh seeds (stage "final": final_seed(study
// seed, k) for the k-th run of every method, the seeds of the Pareto set's re-training), all at the
// fidelity of the evaluator given (the re-training fidelity, so that baselines and the
// re-trained front are measured alike). Every method gets the same budget: |grid| + seeds runs.
// Fresh seeds for the final stage keep the selection run out of the reported mean (no
// winner's curse in the baseline's favour or against it).
//
// The runs are trials of the companion study with role "baselines" ("<study>:baselines") over
// hand_designed_space, with params {"method", "lr"} and provenance {origin: the stage, label: the
// method's label, seed_index}; study_report_data reads them. Crash-safe as the search: each stage is
// enqueued in one transaction, and the final stage is derived from the finished grid, so a
// resumed run continues where a killed one stopped.
//
// Example:
//   search::hand_designed_evaluator baselines(backbone, task, final_options);
//   auto rows = search::run_baselines(store, study, baselines, {.methods = {"lora8", "ia3"}, .lr_grid = {1e-3, 3e-3}});
#include <autopeft/error.hpp>
#include <autopeft/search/study/final_seed.hpp>
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/search/study/detail/mean_and_std.hpp>
#include <autopeft/search/study/hand_designed_space.hpp>
#include <autopeft/search/study/run_queue.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace autopeft::search {

struct baseline_options {
  std::vector<std::string> methods = {"lora8", "ia3", "pfeiffer", "parallel"};
  std::vector<double> lr_grid = {1e-3, 3e-3, 1e-2};
  std::int64_t seeds = 3;

  void validate() const {
    if (methods.empty()) throw error("baseline_options: field 'methods' is empty; name at least one hand-designed method");
    for (const auto& m : methods) {
      nlohmann::json j = {{"method", m}, {"lr", 1e-3}};
      (void)hand_designed_space::from_json(j, "baseline_options: field 'methods'");
    }
    if (lr_grid.empty()) throw error("baseline_options: field 'lr_grid' is empty; give at least one learning rate");
    for (double lr : lr_grid)
      if (!(lr > 0) || !(lr <= 1)) throw error("baseline_options: field 'lr_grid' holds " + std::to_string(lr) + "; rates lie in (0, 1]");
    if (seeds < 1) throw error("baseline_options: field 'seeds' must be at least 1");
  }
};

/// One baseline's outcome: its rate chosen on the grid, and the final runs' mean and sample
/// standard deviation per objective.
struct baseline_result {
  std::string method, label;
  double lr = 0;
  std::map<double, double> grid;  ///< rate -> dev metric of its grid run
  std::vector<double> mean, std;
  std::int64_t runs = 0, failed = 0;
};

namespace detail {
inline std::uint64_t baseline_seed(std::uint64_t study_seed, std::int64_t k) {
  std::uint64_t z = (study_seed ^ 0xba5e11e5ULL) + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(k + 1);
  z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
  return (z ^ (z >> 29)) >> 1;
}
}  // namespace detail

/// Runs (or resumes) the baselines of `study` through `evaluator` (a trial evaluator over
/// hand_designed_space) and returns one result per method, in `options.methods`' order.
template <class Evaluator>
std::vector<baseline_result> run_baselines(study_store& store, const study_record& study, Evaluator& evaluator,
                                           const baseline_options& options, const study_callback& callback = {}) {
  static_assert(detail::check_trial_evaluator<Evaluator>());
  options.validate();
  auto b = store.find_companion(study, "baselines");
  if (!b)
    b = store.create_companion(study, "baselines",
                               {{"kind", "baselines"}, {"methods", options.methods}, {"lr_grid", options.lr_grid}, {"seeds", options.seeds}});
  store.requeue_running(*b);
  auto label_of = [](const std::string& m) {
    return peft::hand_designed(m, model::EncoderConfig{}).label;  // labels do not depend on sizes
  };
  auto run_of = [&](const std::string& m, double lr, const char* stage, std::int64_t seed_index, std::uint64_t seed) {
    return new_trial{.params = {{"method", m}, {"lr", lr}},
                     .seed = seed,
                     .provenance = {.origin = stage, .label = label_of(m), .seed_index = seed_index}};
  };
  auto of_stage = [&](const std::vector<trial_record>& ts, const char* stage, const std::string& m) {
    std::vector<const trial_record*> out;
    for (const auto& t : ts)  // interrupted attempts have a copy that stands for them
      if (t.provenance.origin == stage && t.params.value("method", "") == m &&
          !(t.state == trial_state::failed && t.error && t.error->starts_with("interrupted")))
        out.push_back(&t);
    return out;
  };

  // Stage 1: the grid, every method at every rate, one transaction.
  auto trials = store.trials(*b);
  if (trials.empty()) {
    std::vector<study_store::new_trial> grid;
    std::int64_t k = 0;
    for (const auto& m : options.methods)
      for (double lr : options.lr_grid) grid.push_back(run_of(m, lr, "grid", 0, detail::baseline_seed(study.seed, k++)));
    store.enqueue_all(*b, grid);
  }
  run_queue<hand_designed_space>(store, *b, evaluator, "baseline", callback);

  // Stage 2: each method at its best grid rate with fresh seeds, one transaction.
  trials = store.trials(*b);
  std::vector<study_store::new_trial> finals;
  for (const auto& m : options.methods) {
    if (!of_stage(trials, "final", m).empty()) continue;
    std::optional<double> best_lr;
    double best = -std::numeric_limits<double>::infinity();
    for (const auto* t : of_stage(trials, "grid", m))
      if (t->state == trial_state::complete && t->objectives && (*t->objectives)[0] > best)
        best = (*t->objectives)[0], best_lr = t->params.at("lr").template get<double>();
    if (!best_lr) continue;  // every grid run failed: nothing to re-train
    for (std::int64_t s = 0; s < options.seeds; ++s)
      finals.push_back(run_of(m, *best_lr, "final", s, final_seed(study.seed, s)));
  }
  if (!finals.empty()) store.enqueue_all(*b, finals);
  run_queue<hand_designed_space>(store, *b, evaluator, "baseline", callback);

  trials = store.trials(*b);
  std::vector<baseline_result> out;
  for (const auto& m : options.methods) {
    baseline_result r{.method = m, .label = label_of(m)};
    for (const auto* t : of_stage(trials, "grid", m))
      if (t->state == trial_state::complete && t->objectives) r.grid[t->params.at("lr").template get<double>()] = (*t->objectives)[0];
    std::vector<std::vector<double>> ys;
    for (const auto* t : of_stage(trials, "final", m)) {
      r.lr = t->params.at("lr").template get<double>();
      if (t->state == trial_state::complete && t->objectives) ys.push_back(*t->objectives);
      if (t->state == trial_state::failed) ++r.failed;
    }
    r.runs = static_cast<std::int64_t>(ys.size());
    if (!ys.empty()) std::tie(r.mean, r.std) = detail::mean_and_std(ys);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace autopeft::search
