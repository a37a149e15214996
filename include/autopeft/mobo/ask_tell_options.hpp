#pragma once
// The settings of mobo::ask_tell: the initial design, the Monte-Carlo and search budgets handed
// to its acquisition and optimiser policies through acquisition_context and optimizer_context,
// and the sense of the objectives.
//
// Example:
//   mobo::ask_tell_options o{.initial_points = 6, .seed = 1, .minimize = true};
#include <cstdint>

namespace autopeft::mobo {

enum class initial_design { quasi_random, random };

struct ask_tell_options {
  std::int64_t initial_points = 0;  // 0: 2 (d + 1)
  initial_design design = initial_design::quasi_random;
  std::int64_t mc_samples = 128;
  std::uint64_t seed = 0;
  bool minimize = false;
  // Continuous spaces (multi_start_lbfgs); raw_samples is also random_candidates' count.
  std::int64_t num_restarts = 10;
  std::int64_t raw_samples = 256;
  std::int64_t max_iter = 100;
  // Discrete spaces (local_search).
  std::int64_t local_search_restarts = 10;
  // GP fit: extra MAP starts.
  std::int64_t fit_restarts = 0;
};

}  // namespace autopeft::mobo
