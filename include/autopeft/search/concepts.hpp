#pragma once
// The extension point of the study layer: the trial evaluator.
//
// A trial_evaluator turns a configuration of the study's search space and a seed into an
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
#include <autopeft/search/evaluation.hpp>
#include <autopeft/search/trial_fidelity.hpp>
#include <autopeft/space/configuration.hpp>

#include <concepts>
#include <cstdint>

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

namespace detail {
template <class>
inline constexpr bool dependent_false = false;

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
