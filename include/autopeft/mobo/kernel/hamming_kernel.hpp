#pragma once
// Hamming (categorical exponential) kernel with one lengthscale per categorical dimension:
//   k(x, y) = exp(-sum_i [x_i != y_i] / l_i)
// k is a product over dimensions of
//   exp(-[x_i != y_i] / l_i) = e^{-1/l_i} + (1 - e^{-1/l_i}) [x_i = y_i],
// each PSD, so k is PSD. This is the categorical kernel of the SMAC / HEBO family (e.g. Hutter,
// Hoos & Leyton-Brown 2011; Cowen-Rivers et al., "HEBO", JAIR 2022). Inputs are category codes
// (any encoding, e.g. binary 0/1 or ordinal positions in [0, 1]); values more than 1e-6 apart are
// different categories. k is piecewise constant in the inputs: its input gradient is 0.
// Lengthscale l = exp(raw), [*B, 1, d].
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/detail/ard_lengthscale.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::mobo {

class hamming_kernel {
 public:
  explicit hamming_kernel(const ard_options& o = {}) : ls_(o, "hamming_kernel") {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return torch::exp(-detail::weighted_mismatch(x1, x2, ls_.value().reciprocal()));
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {ls_.h}; }
  [[nodiscard]] torch::Tensor log_prior() const { return ls_.log_prior(); }
  [[nodiscard]] torch::Tensor lengthscale() const { return ls_.value(); }

 private:
  detail::ard_lengthscale ls_;
};

}  // namespace autopeft::mobo
