#pragma once
// Runs a study's waiting trials to the end: the loop that the re-training of the Pareto set and
// the baselines share (study_driver adds proposals between trials and so has its own).
//
// Example:
//   store.enqueue_all(study, trials);  // what to run
//   const auto ran = search::run_queue<Space>(store, study, evaluator, "retrain", callback);
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/study/run_trial.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/store/study_record.hpp>

#include <cstdint>
#include <string>

namespace autopeft::search {

/// Claims and runs every waiting trial of `study`, in number order, until none is left; trials
/// other processes add or claim meanwhile are shared out by the store's claim. Each trial's
/// start and end go to `callback` with `origin`, the trials finished so far and the queue's
/// length when the call began as the budget. A trial's failure is recorded and the queue goes on
/// (run_trial). Returns the trials this call ran.
template <class Space, study_storage Store, class Evaluator>
std::int64_t run_queue(Store& store, const study_record& study, Evaluator& evaluator, const std::string& origin,
                       const study_callback& callback = {}) {
  static_assert(detail::check_trial_evaluator<Evaluator>());
  std::int64_t waiting = 0;
  for (const auto& t : store.trials(study)) waiting += t.state == trial_state::waiting;
  std::int64_t done = 0;
  while (auto t = store.claim(study)) {
    if (callback)
      callback({.what = study_event::kind::trial_started, .trial = t->number, .origin = origin, .finished = done, .budget = waiting});
    auto e = run_trial<Space>(store, study, *t, evaluator);
    e.origin = origin;
    e.finished = ++done;
    e.budget = waiting;
    if (callback) callback(e);
  }
  return done;
}

}  // namespace autopeft::search
