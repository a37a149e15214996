#pragma once
// Exact GP inference shared by gp and fully_bayesian_gp. Internal.
// Shapes: the model batch *B is [m] (one GP per objective) or [s, m] (MCMC samples x objectives).
#include <autopeft/mobo/detail/shared_batch.hpp>
#include <autopeft/mobo/model/jittered_cholesky.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace autopeft::mobo::detail {

/// Cholesky factor of K + diag(noise): k_train [*B, n, n] (or broadcastable), noise [*B, n].
inline torch::Tensor noisy_cholesky(const torch::Tensor& k_train, const torch::Tensor& noise,
                                    const std::string& where) {
  return jittered_cholesky(k_train + torch::diag_embed(noise), 1e-2, where);
}

/// y [*B', n] as a column [*B, n, 1] expanded to the batch of l [*B, n, n].
inline torch::Tensor as_column(const torch::Tensor& y, const torch::Tensor& l) {
  auto shape = l.sizes().vec();
  shape.back() = 1;
  return y.unsqueeze(-1).expand(shape);
}

/// log N(y; 0, L L^T) per batch element: L [*B, n, n], y [*B, n] -> [*B].
///   -1/2 y^T (L L^T)^{-1} y - sum_i log L_ii - n/2 log(2 pi)
inline torch::Tensor log_marginal_likelihood(const torch::Tensor& l, const torch::Tensor& y) {
  const auto w = torch::linalg_solve_triangular(l, as_column(y, l), /*upper=*/false,
                                                /*left=*/true, /*unitriangular=*/false);
  const auto n = static_cast<double>(l.size(-1));
  return -0.5 * w.pow(2).sum({-2, -1}) - l.diagonal(0, -2, -1).log().sum(-1) -
         0.5 * n * std::log(2.0 * M_PI);
}

/// alpha = (L L^T)^{-1} y: [*B, n].
inline torch::Tensor solve_alpha(const torch::Tensor& l, const torch::Tensor& y) {
  return torch::cholesky_solve(as_column(y, l), l, /*upper=*/false).squeeze(-1);
}

/// Predictive distribution of the latent function (standardised scale):
///   mean = K_xs alpha,  cov = K_ss - V^T V,  V = L^{-1} K_xs^T
/// k_xs [..., *B, q, n], k_ss [..., *B, q, q] (both may broadcast over *B).
inline multivariate_normal predict(const torch::Tensor& l, const torch::Tensor& alpha,
                                   const torch::Tensor& k_xs, const torch::Tensor& k_ss) {
  auto mean = k_xs.matmul(alpha.unsqueeze(-1)).squeeze(-1);
  const auto v = solve_lower_shared(l, k_xs.transpose(-1, -2));
  auto cov = k_ss - v.transpose(-1, -2).matmul(v);
  return {std::move(mean), std::move(cov)};
}

}  // namespace autopeft::mobo::detail
