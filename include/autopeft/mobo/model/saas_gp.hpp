#pragma once
// GP with the SAAS prior, fitted by MAP (the fully Bayesian, NUTS-fitted variant is
// fully_bayesian_saas_gp). Sparse Axis-Aligned Subspace prior (Eriksson & Jankowiak,
// "High-Dimensional Bayesian Optimization with Sparse Axis-Aligned Subspaces", UAI 2021), as the
// AutoPEFT reference uses it:
//   k = s * Matern52(l),  l_i = (tau rho_i)^(-1/2)
//   tau ~ HalfCauchy(0.1),  rho_i ~ HalfCauchy(1),  s ~ Gamma(2, 0.15),  noise ~ Gamma(0.9, 10)
// on inputs normalised to [0, 1]^d and standardised outcomes, batched over m objectives.
// The MAP estimate drives the lengthscales of dimensions the data do not need towards infinity.
//
// Example:
//   saas_gp model(X, Y);            // X [n, d], Y [n, m]
//   model.fit();
//   model.lengthscale();            // [m, d]
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/kernel/saas_kernel.hpp>
#include <autopeft/mobo/kernel/scale_kernel.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/model/gp_options.hpp>
#include <autopeft/mobo/prior/gamma_prior.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace autopeft::mobo {

/// The SAAS kernel: an outputscale times a Matern-5/2 with SAAS lengthscales.
using saas_matern52_kernel = scale_kernel<saas_kernel<matern52_kernel>>;

class saas_gp : public gp<saas_matern52_kernel> {
 public:
  saas_gp(const torch::Tensor& train_x, const torch::Tensor& train_y,
          gp_options options = default_options())
      : gp(train_x, train_y,
           make_kernel(train_x.dim() == 2 ? train_x.size(1) : 1,
                       {train_y.dim() == 2 ? train_y.size(1) : 1}),
           std::move(options)) {}

  /// SAAS's noise prior Gamma(0.9, 10); the rest as gp_options.
  [[nodiscard]] static gp_options default_options() {
    gp_options o;
    o.noise_prior = gamma_prior{0.9, 10.0};
    o.initial_noise = 0.05;
    return o;
  }

  /// The SAAS kernel over d inputs with the given batch shape.
  [[nodiscard]] static saas_matern52_kernel make_kernel(std::int64_t d,
                                                        const std::vector<std::int64_t>& batch) {
    return saas_matern52_kernel(
        saas_kernel<matern52_kernel>({.ard_num_dims = d, .batch_shape = batch}),
        {.batch_shape = batch,
         .outputscale_prior = gamma_prior{2.0, 0.15},
         .initial_outputscale = 1.0});
  }

  /// Lengthscales [m, d] in normalised-input units.
  [[nodiscard]] torch::Tensor lengthscale() const {
    return kernel().base().lengthscale().detach().squeeze(-2);
  }
};

}  // namespace autopeft::mobo
