#pragma once
// What ask_tell fits its surrogate to at each ask: the told inputs in [0, 1]^d, their outcomes
// MAXIMISED (a minimised objective negated), and the fit's extra starts and seed. A surrogate
// type usable by ask_tell has `static M from_data(const surrogate_data&)`, which returns the
// fitted model (see the `surrogate` concept in mobo/concepts.hpp).
//
// Example:
//   auto model = gp<rbf_kernel>::from_data({.X = X01, .Y = Y, .seed = 1});
#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

struct surrogate_data {
  torch::Tensor X;                ///< [n, d] in [0, 1]^d
  torch::Tensor Y;                ///< [n, m]
  std::int64_t fit_restarts = 0;  ///< extra starts of a MAP fit
  std::uint64_t seed = 0;
};

}  // namespace autopeft::mobo
