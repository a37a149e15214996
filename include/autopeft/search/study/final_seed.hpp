#pragma once
// The seed of a study's index-th final run. Every final run that the study compares uses it: the
// baselines' final stage (run_baselines) and the Pareto set's re-training (retrain_pareto), so
// the k-th run of every method and of every found configuration starts from the same seed
// (common random numbers, as in bench/autopeft_vs_baselines.sh's seeds 1..n). The comparison
// then measures the configurations, not the draw of their seeds: the same configuration run as
// a baseline and as a re-trained trial gives the same numbers when the two models draw their
// parameters alike. The seeds differ from the ones of the baselines' rate grid, so the run that
// chose a rate is never one of the reported runs.
//
// Example:
//   store.enqueue(final_study, params, search::final_seed(study.seed, 2));
#include <cstdint>

namespace autopeft::search {

/// splitmix64 of (study_seed, index), halved to fit the store's signed seed column.
[[nodiscard]] constexpr std::uint64_t final_seed(std::uint64_t study_seed, std::int64_t index) noexcept {
  std::uint64_t z = (study_seed ^ 0xf17a15eedULL) + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) >> 1;
}

}  // namespace autopeft::search
