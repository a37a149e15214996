#pragma once
// Options of the exact GP models (gp, saas_gp, and the data part of fully_bayesian_gp).
// The defaults are BoTorch SingleTaskGP's: inputs normalised to [0, 1]^d, outcomes standardised,
// noise prior LogNormal(-4, 1) started at its mode exp(-5), noise >= 1e-4 (GPyTorch's
// GreaterThan(1e-4) on the standardised scale), L-BFGS with strong Wolfe line search.
//
// Example:
//   gp_options o;
//   o.bounds = torch::tensor({{0.0, 0.0}, {10.0, 1.0}}, torch::kFloat64);  // [2, d]
//   o.restarts = 2;
#include <autopeft/mobo/prior/any_prior.hpp>
#include <autopeft/mobo/prior/log_normal_prior.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <optional>

namespace autopeft::mobo {

struct gp_options {
  /// Input bounds [2, d] (lower row, upper row) mapped to [0, 1]^d; default: the training
  /// data's per-dimension min and max. A dimension of zero width is left unscaled.
  std::optional<torch::Tensor> bounds;
  /// Standardise each objective to zero mean and unit (unbiased) standard deviation.
  bool standardize = true;
  /// Known observation noise variances in the original outcome scale, broadcastable to [n, m]
  /// (BoTorch's train_Yvar). When set the noise is fixed and not learned.
  std::optional<torch::Tensor> train_yvar;
  /// Homoskedastic noise (standardised scale): prior, start value and lower bound.
  any_prior noise_prior = log_normal_prior{-4.0, 1.0};
  double initial_noise = std::exp(-5.0);
  double noise_lower_bound = 1e-4;
  /// MAP fit: L-BFGS iterations per start, extra starts, and their spread: a restart adds
  /// restart_spread * N(0, 1) to every raw (log) hyperparameter of the initial point.
  std::int64_t max_iter = 200;
  std::int64_t restarts = 0;
  double restart_spread = 1.0;
  double tolerance_grad = 1e-6;
  double tolerance_change = 1e-10;
  std::uint64_t seed = 0;
};

}  // namespace autopeft::mobo
