#pragma once
// The fully Bayesian SAAS GP of the AutoPEFT reference (BoTorch's SaasFullyBayesianSingleTaskGP
// without its constant mean, which standardisation makes redundant): the model of saas_gp with
// its hyperparameters sampled by NUTS, the reference's schedule by default (warmup 256,
// 128 samples, thinning 16 -> 8 sample models per objective, maximum tree depth 6).
// Eriksson & Jankowiak, "High-Dimensional Bayesian Optimization with Sparse Axis-Aligned
// Subspaces", UAI 2021.
//
// Example:
//   fully_bayesian_saas_gp model(X, Y);
//   model.fit();
//   auto post = model.posterior(X_test);   // mean [8, m, n_test]
//   model.lengthscale();                   // [8, m, d]
#include <autopeft/mobo/model/fully_bayesian_gp.hpp>
#include <autopeft/mobo/model/saas_gp.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace autopeft::mobo {

class fully_bayesian_saas_gp : public fully_bayesian_gp<saas_matern52_kernel> {
 public:
  fully_bayesian_saas_gp(const torch::Tensor& train_x, const torch::Tensor& train_y,
                         fully_bayesian_options options = default_options())
      : fully_bayesian_gp(
            train_x, train_y,
            [d = train_x.dim() == 2 ? train_x.size(1) : 1](const std::vector<std::int64_t>& b) {
              return saas_gp::make_kernel(d, b);
            },
            std::move(options)) {}

  [[nodiscard]] static fully_bayesian_options default_options() {
    fully_bayesian_options o;
    o.gp = saas_gp::default_options();
    o.nuts = {.warmup = 256, .num_samples = 128, .thinning = 16, .max_tree_depth = 6};
    return o;
  }

  /// Lengthscales [s, m, d] in normalised-input units.
  [[nodiscard]] torch::Tensor lengthscale() const {
    return kernel().base().lengthscale().detach().squeeze(-2);
  }
};

}  // namespace autopeft::mobo
