#pragma once
// The two standard sets of hyperparameter priors for a GP on inputs in [0, 1]^d and
// standardised outcomes, each with initial values at the priors' modes (as BoTorch initialises).
//
//   dimension_scaled(d)  BoTorch >= 0.12 (SingleTaskGP): lengthscale LogNormal(sqrt 2 + log(d)/2,
//                        sqrt 3) (Hvarfner et al., ICML 2024), no outputscale (an unscaled RBF),
//                        noise LogNormal(-4, 1).
//   gamma()              BoTorch < 0.12 and the AutoPEFT reference's MAP alternative:
//                        lengthscale Gamma(3, 6), outputscale Gamma(2, 0.15),
//                        noise Gamma(1.1, 0.05).
//
// Example:
//   auto p = prior_set::gamma();
//   scale_kernel k(matern52_kernel({.ard_num_dims = d, .batch_shape = {m},
//                                   .lengthscale_prior = p.lengthscale,
//                                   .initial_lengthscale = p.initial_lengthscale}),
//                  {.batch_shape = {m}, .outputscale_prior = p.outputscale,
//                   .initial_outputscale = p.initial_outputscale});
#include <autopeft/mobo/prior/any_prior.hpp>
#include <autopeft/mobo/prior/gamma_prior.hpp>
#include <autopeft/mobo/prior/log_normal_prior.hpp>

#include <cstdint>

namespace autopeft::mobo {

struct prior_set {
  any_prior lengthscale;
  any_prior outputscale;  // empty where the set uses no outputscale
  any_prior noise;
  double initial_lengthscale = 1.0;
  double initial_outputscale = 1.0;
  double initial_noise = 1e-2;

  [[nodiscard]] static prior_set dimension_scaled(std::int64_t d) {
    const auto ls = log_normal_prior::dimension_scaled(d);
    const log_normal_prior noise{-4.0, 1.0};
    return {ls, {}, noise, ls.mode(), 1.0, noise.mode()};
  }
  [[nodiscard]] static prior_set gamma() {
    const gamma_prior ls{3.0, 6.0}, os{2.0, 0.15}, noise{1.1, 0.05};
    return {ls, os, noise, ls.mode(), os.mode(), noise.mode()};
  }
};

}  // namespace autopeft::mobo
