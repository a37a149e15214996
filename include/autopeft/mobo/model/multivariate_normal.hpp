#pragma once
// The posterior of a GP at n points: independent multivariate normals, one per objective.
//   mean        [..., m, n]
//   covariance  [..., m, n, n]
// "..." is the batch of the query (e.g. b for candidate sets [b, q, d]) followed by the model's
// own batch (e.g. s MCMC samples for a fully Bayesian model); m is the number of objectives.
// Values are in the original (unstandardised) outcome scale. Draw from it with rsample.
#include <torch/torch.h>

namespace autopeft::mobo {

struct multivariate_normal {
  torch::Tensor mean;
  torch::Tensor covariance;

  /// The marginal variances [..., m, n].
  [[nodiscard]] torch::Tensor variance() const { return covariance.diagonal(0, -2, -1); }
};

}  // namespace autopeft::mobo
