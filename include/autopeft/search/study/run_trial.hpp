#pragma once
// One trial from running to complete or failed: the step the study driver and the re-training
// of the Pareto set share.
#include <autopeft/error.hpp>
#include <autopeft/search/concepts.hpp>
#include <autopeft/search/study/evaluation.hpp>
#include <autopeft/search/study/study_event.hpp>
#include <autopeft/search/store/study_store.hpp>
#include <autopeft/space/configuration.hpp>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <exception>
#include <new>
#include <string>
#include <utility>
#include <vector>

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

/// What evaluating one trial gave: objectives and extra, or the reason it failed.
struct trial_outcome {
  bool ok = false;
  std::vector<double> objectives;
  nlohmann::json extra = nlohmann::json::object();
  std::string error;
  double seconds = 0;
};

namespace detail {
inline constexpr const char* oom_advice =
    "; this configuration does not fit: lower the batch size or max_seq_length, or free memory";
}  // namespace detail

/// Evaluates trial `t` of a study with objectives `objectives` without touching any store (what
/// a remote worker does): any exception, or objectives that are not finite or not one per
/// objective, make a failed outcome with the reason. Running out of memory (std::bad_alloc, or
/// LibTorch's c10::OutOfMemoryError on a GPU) is a failed outcome whose reason starts with "out
/// of memory"; the process goes on, and so does the study.
template <class Space, class Evaluator>
trial_outcome evaluate_trial(const std::vector<study_objective>& objectives, const trial_record& t, Evaluator& evaluator,
                             const std::string& where) {
  static_assert(detail::check_trial_evaluator<Evaluator>());
  const auto ts = std::chrono::steady_clock::now();
  trial_outcome out;
  try {
    const auto c = configuration_of<Space>(t, "trial " + std::to_string(t.number) + " of " + where);
    evaluation r = [&] {
      if constexpr (multi_fidelity_evaluator<Evaluator>) {
        if (t.fidelity) return evaluation(evaluator.evaluate(c, t.seed, *t.fidelity));
      } else {
        if (t.fidelity)
          throw error("the trial runs at fidelity level " + std::to_string(t.fidelity->level) +
                      " but the evaluator takes no fidelity: give it a member evaluate(configuration, seed, "
                      "trial_fidelity) (search::multi_fidelity_evaluator), or run the study without fidelities");
      }
      return evaluation(evaluator.evaluate(c, t.seed));
    }();
    if (r.objectives.size() != objectives.size())
      throw error("the evaluator returned " + std::to_string(r.objectives.size()) + " objectives; the study has " +
                  std::to_string(objectives.size()));
    for (std::size_t i = 0; i < r.objectives.size(); ++i)
      if (!std::isfinite(r.objectives[i]))
        throw error("objective '" + objectives[i].name + "' is " + std::to_string(r.objectives[i]));
    out.ok = true;
    out.objectives = std::move(r.objectives);
    out.extra = std::move(r.extra);
  } catch (const c10::OutOfMemoryError& ex) {
    out.error = std::string("out of memory: ") + ex.what_without_backtrace() + detail::oom_advice;
  } catch (const std::bad_alloc& ex) {
    out.error = std::string("out of memory: an allocation failed (") + ex.what() + ")" + detail::oom_advice;
  } catch (const c10::Error& ex) {
    // The C++ backtrace helps no one reading the study. LibTorch's CPU allocator says "not
    // enough memory" with a plain c10::Error.
    const std::string what = ex.what_without_backtrace();
    out.error = what.find("not enough memory") != std::string::npos ? "out of memory: " + what + detail::oom_advice : what;
  } catch (const std::exception& ex) {
    out.error = ex.what();
  } catch (...) {
    out.error = "an exception that is not a std::exception";
  }
  if (!out.ok && out.error.empty()) out.error = "an exception with an empty message";
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count();
  return out;
}

/// Records an outcome of the running trial `number`: complete or failed. Returns the
/// trial_finished event.
template <study_storage Store>
study_event record_outcome(Store& store, const study_record& study, std::int64_t number, trial_outcome outcome) {
  study_event e{.what = study_event::kind::trial_finished, .trial = number};
  if (outcome.ok) {
    store.complete(study, number, outcome.objectives, outcome.extra, outcome.seconds);
    e.state = trial_state::complete;
    e.objectives = std::move(outcome.objectives);
  } else {
    store.fail(study, number, outcome.error);
    e.state = trial_state::failed;
    e.error = std::move(outcome.error);
  }
  e.trial_seconds = outcome.seconds;
  return e;
}

/// Evaluates the running trial `t` and records the outcome: complete with the objectives and
/// the evaluator's extra, or failed with the reason (any exception, or objectives that are not
/// finite or not one per study objective). Returns the trial_finished event.
template <class Space, study_storage Store, class Evaluator>
study_event run_trial(Store& store, const study_record& study, const trial_record& t, Evaluator& evaluator) {
  return record_outcome(store, study, t.number,
                        evaluate_trial<Space>(study.objectives, t, evaluator, "study \"" + study.name + "\""));
}

}  // namespace autopeft::search
