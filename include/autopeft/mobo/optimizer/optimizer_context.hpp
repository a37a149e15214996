#pragma once
// What ask_tell hands its optimiser policy at each ask, all in the model's [0, 1]^d: the
// search space (a discrete one, or the unit box when `space` is empty), where to start (the
// Pareto set's inputs), what never to return (told, pending and excluded points), a seed, and
// the search budgets of ask_tell_options.
//
// An optimiser policy is a copyable value with
//   template <class Make>
//   torch::Tensor operator()(const optimizer_context& c, Make&& make, std::int64_t q) const;
// returning q points [q, d] in [0, 1]^d, where make(X_pending [k, d], undefined for k = 0)
// builds the acquisition conditioned on the points already picked (sequential_greedy's
// protocol). pareto_local_search and random_candidates are the built-in ones.
//
// Example (a policy that scores a fixed candidate set C [N, d]):
//   struct fixed_candidates {
//     torch::Tensor C;
//     template <class Make>
//     torch::Tensor operator()(const optimizer_context& c, Make&& make, std::int64_t q) const {
//       return sequential_greedy(exhaustive_search(C, {.avoid = c.avoid}), make, q);
//     }
//   };
#include <autopeft/mobo/optimizer/discrete_space.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace autopeft::mobo {

struct optimizer_context {
  std::int64_t d = 0;
  std::optional<discrete_space> space;  ///< in [0, 1]^d; empty: the box [0, 1]^d
  torch::Tensor front;                  ///< [k, d] inputs of the current Pareto set
  torch::Tensor avoid;                  ///< [a, d] told, pending and excluded points
  std::uint64_t seed = 0;
  std::int64_t num_restarts = 10;       ///< multi_start_lbfgs
  std::int64_t raw_samples = 256;       ///< multi_start_lbfgs, random_candidates
  std::int64_t max_iter = 100;          ///< multi_start_lbfgs
  std::int64_t local_search_restarts = 10;
};

}  // namespace autopeft::mobo
