#pragma once
// One trial from running to complete or failed: the step the study driver and the re-training
// of the Pareto set share.
#include <autopeft/error.hpp>
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/evaluation.hpp>
#include <autopeft/search/study_event.hpp>
#include <autopeft/search/study_store.hpp>
#include <autopeft/space/configuration.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <utility>

namespace autopeft::search {

/// The configuration of Space that a trial's params hold; keys starting with '_' are the
/// driver's bookkeeping (origin, source trial) and are skipped. Errors name `where`.
template <class Space>
[[nodiscard]] space::configuration configuration_of(const trial_record& t, const std::string& where) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : t.params.items())
    if (k.empty() || k[0] != '_') j[k] = v;
  return Space::from_json(j, where);
}

/// Evaluates the running trial `t` and records the outcome: complete with the objectives and
/// the evaluator's extra, or failed with the reason (any exception, or objectives that are not
/// finite or not one per study objective). Returns the trial_finished event.
template <class Space, class Evaluator>
study_event run_trial(study_store& store, const study_record& study, const trial_record& t, Evaluator& evaluator) {
  static_assert(detail::check_trial_evaluator<Evaluator>());
  study_event e{.what = study_event::kind::trial_finished, .trial = t.number};
  const auto ts = std::chrono::steady_clock::now();
  std::string reason;
  try {
    const auto c = configuration_of<Space>(t, "trial " + std::to_string(t.number) + " of study \"" + study.name + "\"");
    evaluation r = evaluator.evaluate(c, t.seed);
    if (r.objectives.size() != study.objectives.size())
      throw error("the evaluator returned " + std::to_string(r.objectives.size()) + " objectives; the study has " +
                  std::to_string(study.objectives.size()));
    for (std::size_t i = 0; i < r.objectives.size(); ++i)
      if (!std::isfinite(r.objectives[i]))
        throw error("objective '" + study.objectives[i].name + "' is " + std::to_string(r.objectives[i]));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
    store.complete(study, t.number, r.objectives, r.extra, secs);
    e.state = trial_state::complete;
    e.objectives = std::move(r.objectives);
    return e;
  } catch (const std::exception& ex) {
    reason = ex.what();
  } catch (...) {
    reason = "an exception that is not a std::exception";
  }
  if (reason.empty()) reason = "an exception with an empty message";
  store.fail(study, t.number, reason);
  e.state = trial_state::failed;
  e.error = std::move(reason);
  return e;
}

}  // namespace autopeft::search
