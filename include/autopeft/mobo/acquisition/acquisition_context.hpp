#pragma once
// What ask_tell knows when it builds an acquisition, all in the model's scale: inputs in
// [0, 1]^d, outcomes MAXIMISED (a minimised objective and its reference value negated). The
// built-in acquisitions have a constructor (Model, const acquisition_context&) that reads what
// they need; acquisition_of<A> turns such a class template into an acquisition policy.
//
// Example:
//   qnehvi<gp<rbf_kernel>> acq(model, {.ref_point = ref, .X_baseline = X, .Y_baseline = Y});
#include <torch/torch.h>

#include <cstdint>
#include <optional>

namespace autopeft::mobo {

struct acquisition_context {
  torch::Tensor ref_point;                  ///< [m]
  torch::Tensor X_baseline;                 ///< [n, d] the told points
  torch::Tensor Y_baseline;                 ///< [n, m] their outcomes
  std::optional<torch::Tensor> X_pending;   ///< [p, d] under evaluation or already picked
  std::uint64_t seed = 0;                   ///< of this acquisition's base samples / draws
  std::int64_t mc_samples = 128;
};

}  // namespace autopeft::mobo
