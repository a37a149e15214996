#pragma once
// Options shared by the kernels with one lengthscale per input dimension (ARD).
//
// Example:
//   matern52_kernel k({.ard_num_dims = 15, .batch_shape = {2},
//                      .lengthscale_prior = gamma_prior{3.0, 6.0}, .initial_lengthscale = 0.33});
#include <autopeft/mobo/prior/any_prior.hpp>

#include <cstdint>
#include <vector>

namespace autopeft::mobo {

struct ard_options {
  /// Number of input dimensions d; each gets its own lengthscale.
  std::int64_t ard_num_dims = 1;
  /// Leading batch dims of the hyperparameters: {m} for one GP per objective.
  std::vector<std::int64_t> batch_shape = {};
  /// Prior on the lengthscales (value space); empty = flat.
  any_prior lengthscale_prior = {};
  double initial_lengthscale = 1.0;
};

}  // namespace autopeft::mobo
