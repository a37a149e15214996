#pragma once
// The extension points of the study layer: the trial evaluator and the study storage.
//
// ---------------------------------------------------------------------------------------------
// trial_evaluator: turns a configuration of the study's search space and a seed into an
// evaluation. It may throw: any exception (a NaN loss, CUDA out of memory, a bad file) makes the
// trial failed with the exception's text as the reason, and the study goes on. The minimal model:
//
//   struct my_evaluator {
//     search::evaluation evaluate(const space::configuration& c, std::uint64_t seed) {
//       auto plan = space::to_plan(my_space{}, c, base);
//       model->reset_peft(plan);                              // resident backbone
//       const double metric = train_and_score(model, seed);  // your loop
//       return {.objectives = {metric, percent_trainable(model)}};
//     }
//   };
//
// search::peft_evaluator is the ready-made one (train::trainer on a pretrained backbone).
//
// A multi-fidelity study (study_options::fidelities) needs a multi_fidelity_evaluator: one that
// also takes the trial's fidelity and trains with the resources it grants, e.g.
//     search::evaluation evaluate(const space::configuration& c, std::uint64_t seed,
//                                 const search::trial_fidelity& f) {
//       auto o = options;  o.max_train_samples = f.resources.value("train_samples", 0);  ...
//     }
//
// ---------------------------------------------------------------------------------------------
// study_storage: where a study's trials live while study_driver runs it (study_store, the
// SQLite file, is the ready-made one). The driver writes in the order that makes a crash safe:
// a proposal is enqueued before it runs, claimed (running) before its evaluation starts, and
// complete, failed or pruned after.
//   Minimal members (each for one study, `s`):
//     std::vector<trial_record> trials(const study_record& s) const;       // in number order, each with
//                                                                          // the fidelity and provenance enqueued
//     std::optional<trial_record> claim(const study_record& s);            // waiting -> running
//     void enqueue_all(const study_record& s, const std::vector<new_trial>&);  // all or none
//     void complete(const study_record& s, std::int64_t n, const std::vector<double>& objectives,
//                   const nlohmann::json& extra, double seconds);
//     void fail(const study_record& s, std::int64_t n, const std::string& reason);
//     void prune(const study_record& s, std::int64_t n, const std::string& reason);
//     R requeue_running(const study_record& s);  // a sized range: the trials a crash interrupted
//   A model of the concept (one study in memory; nothing outlives the process, so nothing is
//   ever found interrupted):
//     struct memory_storage {
//       std::vector<trial_record> all;
//       std::vector<trial_record> trials(const study_record&) const { return all; }
//       std::optional<trial_record> claim(const study_record&) {
//         for (auto& t : all) if (t.state == trial_state::waiting) return t.state = trial_state::running, t;
//         return std::nullopt;
//       }
//       void enqueue_all(const study_record&, const std::vector<new_trial>& batch) {
//         for (const auto& b : batch)
//           all.push_back({.number = std::ssize(all), .params = b.params, .seed = b.seed, .fidelity = b.fidelity, .provenance = b.provenance});
//       }
//       void complete(const study_record&, std::int64_t n, const std::vector<double>& y, const nlohmann::json&, double) {
//         all[n].state = trial_state::complete, all[n].objectives = y;
//       }
//       void fail(const study_record&, std::int64_t n, const std::string&) { all[n].state = trial_state::failed; }
//       void prune(const study_record&, std::int64_t n, const std::string&) { all[n].state = trial_state::pruned; }
//       std::vector<requeued_trial> requeue_running(const study_record&) { return {}; }
//     };
//   tests/search/study/test_study_driver.cpp runs a study on it.
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/store/new_trial.hpp>
#include <autopeft/search/store/requeued_trial.hpp>
#include <autopeft/search/store/study_record.hpp>
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/search/store/trial_record.hpp>
#include <autopeft/space/configuration.hpp>

#include <nlohmann/json.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <ranges>
#include <string>
#include <vector>

namespace autopeft::search {

template <class E>
concept trial_evaluator = requires(E& e, const space::configuration& c, std::uint64_t seed) {
  { e.evaluate(c, seed) } -> std::convertible_to<evaluation>;
};

/// A trial_evaluator that also evaluates at a given fidelity.
template <class E>
concept multi_fidelity_evaluator =
    trial_evaluator<E> && requires(E& e, const space::configuration& c, std::uint64_t seed, const trial_fidelity& f) {
      { e.evaluate(c, seed, f) } -> std::convertible_to<evaluation>;
    };

template <class S>
concept study_storage = requires(S& s, const S& cs, const study_record& study, std::int64_t n, const std::string& reason,
                                 const std::vector<new_trial>& batch, const std::vector<double>& objectives,
                                 const nlohmann::json& extra, double seconds) {
  { cs.trials(study) } -> std::convertible_to<std::vector<trial_record>>;
  { s.claim(study) } -> std::convertible_to<std::optional<trial_record>>;
  s.enqueue_all(study, batch);
  s.complete(study, n, objectives, extra, seconds);
  s.fail(study, n, reason);
  s.prune(study, n, reason);
  { s.requeue_running(study) } -> std::ranges::sized_range;
};

namespace detail {
template <class>
inline constexpr bool dependent_false = false;

template <class S>
constexpr bool check_study_storage() {
  if constexpr (!study_storage<S>) {
    static_assert(dependent_false<S>,
                  "autopeft::search: the store does not model search::study_storage: it needs the members "
                  "trials, claim, enqueue_all, complete, fail, prune and requeue_running with the signatures "
                  "listed in include/autopeft/search/concepts.hpp (search::study_store is a model)");
    return false;
  }
  return true;
}

template <class E>
constexpr bool check_trial_evaluator() {
  if constexpr (!trial_evaluator<E>) {
    static_assert(dependent_false<E>,
                  "autopeft::search: the evaluator does not model search::trial_evaluator: it needs a member "
                  "`search::evaluation evaluate(const space::configuration&, std::uint64_t seed)` "
                  "(see include/autopeft/search/concepts.hpp and docs/tutorial_study.md)");
    return false;
  }
  return true;
}
}  // namespace detail

}  // namespace autopeft::search
