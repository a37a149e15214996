#pragma once
// A stationary ARD kernel (Base = matern52_kernel, rbf_kernel, ...) whose lengthscales carry the
// SAAS prior (Eriksson & Jankowiak, "High-Dimensional Bayesian Optimization with Sparse
// Axis-Aligned Subspaces", UAI 2021):
//   tau ~ HalfCauchy(0.1)                     global shrinkage
//   rho_i ~ HalfCauchy(1), i = 1..d           per-dimension inverse squared lengthscale
//   l_i = (tau rho_i)^(-1/2)
// i.e. tau rho_i ~ HalfCauchy(tau), in the non-centred form that BoTorch's Pyro model samples.
// Most dimensions are shrunk to long lengthscales (irrelevant); only those the data support
// become short. tau = exp(raw) [*B]; rho = exp(raw) [*B, 1, d].
//
// The prior density is bounded in (tau, rho), so the MAP of this parametrisation is well posed
// (the centred form rho_i ~ HalfCauchy(tau) has an unbounded density as tau -> 0).
//
// Example:
//   scale_kernel k(saas_kernel<matern52_kernel>({.ard_num_dims = 10}),
//                  {.outputscale_prior = gamma_prior{2.0, 0.15}});
#include <autopeft/error.hpp>
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>
#include <autopeft/mobo/prior/half_cauchy_prior.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace autopeft::mobo {

struct saas_options {
  std::int64_t ard_num_dims = 1;
  std::vector<std::int64_t> batch_shape = {};
  /// Scale of the half-Cauchy prior on the global shrinkage tau.
  double tau_scale = 0.1;
  /// Initial values: the priors' medians.
  double initial_tau = 0.1;
  double initial_rho = 1.0;
};

template <class Base>
class saas_kernel {
  static_assert(
      requires(const torch::Tensor& x) {
        { Base::evaluate(x, x, x) } -> std::same_as<torch::Tensor>;
      },
      "autopeft::mobo::saas_kernel<Base>: Base needs `static torch::Tensor evaluate(x1, x2, "
      "lengthscale)`, as rbf_kernel and matern_kernel have");

 public:
  explicit saas_kernel(const saas_options& o = {})
      : tau_{"tau", (check(o), hyperparameter::make_raw(o.batch_shape, o.initial_tau))},
        rho_{"inverse_lengthscale_sq",
             hyperparameter::make_raw(detail::concat_shape(o.batch_shape, {1, o.ard_num_dims}),
                                      o.initial_rho)},
        tau_prior_{o.tau_scale} {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    return Base::evaluate(x1, x2, lengthscale());
  }

  /// l = (tau rho)^(-1/2), [*B, 1, d].
  [[nodiscard]] torch::Tensor lengthscale() const {
    return torch::exp(-0.5 * (tau_.raw.unsqueeze(-1).unsqueeze(-1) + rho_.raw));
  }
  [[nodiscard]] torch::Tensor tau() const { return tau_.value(); }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {tau_, rho_}; }
  [[nodiscard]] torch::Tensor log_prior() const {
    return tau_prior_.log_prob(tau_.value()).sum() +
           half_cauchy_prior{1.0}.log_prob(rho_.value()).sum();
  }

 private:
  static void check(const saas_options& o) {
    if (o.ard_num_dims < 1)
      throw error("saas_kernel: saas_options.ard_num_dims must be >= 1, got " +
                  std::to_string(o.ard_num_dims));
    if (!(o.tau_scale > 0.0 && o.initial_tau > 0.0 && o.initial_rho > 0.0))
      throw error("saas_kernel: saas_options.tau_scale, initial_tau and initial_rho must be > 0");
  }

  hyperparameter tau_, rho_;
  half_cauchy_prior tau_prior_;
};

}  // namespace autopeft::mobo
