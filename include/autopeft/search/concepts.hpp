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
#include <autopeft/search/evaluation.hpp>
#include <autopeft/space/configuration.hpp>

#include <concepts>
#include <cstdint>

namespace autopeft::search {

template <class E>
concept trial_evaluator = requires(E& e, const space::configuration& c, std::uint64_t seed) {
  { e.evaluate(c, seed) } -> std::convertible_to<evaluation>;
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
