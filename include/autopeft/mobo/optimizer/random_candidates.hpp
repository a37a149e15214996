#pragma once
// An optimiser policy (see optimizer_context.hpp) for acquisitions whose value is a random
// draw (thompson_sampling, random_acquisition), where following neighbours or gradients finds
// nothing: q points by sequential_greedy over raw_samples random candidates: the space's random
// points (none told, pending or excluded is returned) or, on the unit box, Sobol points.
//
// Example:
//   mobo::ask_tell<mobo::gp<mobo::rbf_kernel>, mobo::acquisition_of<mobo::thompson_sampling>,
//                  mobo::random_candidates> opt(bounds, 2, ref);
#include <autopeft/mobo/acquisition/qmc_normal.hpp>
#include <autopeft/mobo/optimizer/exhaustive_search.hpp>
#include <autopeft/mobo/optimizer/optimizer_context.hpp>
#include <autopeft/mobo/optimizer/sequential_greedy.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace autopeft::mobo {

struct random_candidates {
  /// -> [q, d] in [0, 1]^d.
  template <class Make>
  [[nodiscard]] torch::Tensor operator()(const optimizer_context& c, Make&& make, std::int64_t q) const {
    if (!c.space)
      return sequential_greedy(exhaustive_search(qmc_uniform(c.raw_samples, c.d, c.seed)), make, q);
    std::mt19937_64 rng(c.seed);
    std::vector<torch::Tensor> candidates;
    for (std::int64_t i = 0; i < c.raw_samples; ++i)
      candidates.push_back(c.space->random_point(rng).to(torch::kFloat64));
    return sequential_greedy(exhaustive_search(torch::stack(candidates), {.avoid = c.avoid}), make, q);
  }
};

}  // namespace autopeft::mobo
