#pragma once
// ask_tell's default optimiser policy (see optimizer_context.hpp): q points by
// sequential_greedy, each found by a local search started from the current Pareto set's inputs
// plus random restarts. On a discrete space the search is local_search over its neighbours
// (AutoPEFT's; never returning a told, pending or excluded point); on the unit box it is
// multi_start_lbfgs, whose starts are the Pareto set plus the best of raw_samples Sobol points.
//
// Example:
//   mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::qnehvi>,
//                  mobo::pareto_local_search> opt(bounds, 2, ref);
#include <autopeft/mobo/optimizer/local_search.hpp>
#include <autopeft/mobo/optimizer/multi_start_lbfgs.hpp>
#include <autopeft/mobo/optimizer/optimizer_context.hpp>
#include <autopeft/mobo/optimizer/sequential_greedy.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

struct pareto_local_search {
  /// -> [q, d] in [0, 1]^d.
  template <class Make>
  [[nodiscard]] torch::Tensor operator()(const optimizer_context& c, Make&& make, std::int64_t q) const {
    if (c.space)
      return sequential_greedy(local_search(c.space->neighbours, c.space->random_point,
                                            {.starts = c.front,
                                             .num_restarts = c.local_search_restarts,
                                             .avoid = c.avoid,
                                             .seed = c.seed}),
                               make, q);
    const auto unit = torch::stack({torch::zeros({c.d}), torch::ones({c.d})}).to(torch::kFloat64);
    return sequential_greedy(multi_start_lbfgs(unit, {.num_restarts = c.num_restarts,
                                                      .raw_samples = c.raw_samples,
                                                      .max_iter = c.max_iter,
                                                      .starts = c.front,
                                                      .seed = c.seed}),
                             make, q);
  }
};

}  // namespace autopeft::mobo
