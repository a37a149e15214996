#pragma once
// A discrete (or mixed) search space as ask_tell and its optimiser policies see it: a
// neighbour function and a random point, in the caller's coordinates.
//
// Example:
//   auto space = mobo::discrete_space::of(mobo::lattice({{0.0, 0.5, 1.0}, {0.0, 1.0}}));
#include <autopeft/mobo/optimizer/lattice.hpp>

#include <torch/torch.h>

#include <functional>
#include <random>
#include <vector>

namespace autopeft::mobo {

struct discrete_space {
  std::function<std::vector<torch::Tensor>(const torch::Tensor&)> neighbours;  // x [d] -> {[d]}
  std::function<torch::Tensor(std::mt19937_64&)> random_point;                // -> [d]

  [[nodiscard]] static discrete_space of(const lattice& grid) {
    return {[grid](const torch::Tensor& x) { return grid.neighbours(x); },
            [grid](std::mt19937_64& rng) { return grid.random_point(rng); }};
  }
};

}  // namespace autopeft::mobo
