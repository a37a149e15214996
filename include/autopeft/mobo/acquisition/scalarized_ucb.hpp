#pragma once
// Upper confidence bound of a random scalarisation (Paria, Kandasamy & Poczos, "A flexible
// framework for multi-objective Bayesian optimization using random scalarizations", UAI 2019),
// MAXIMISATION, X [b, q, d] -> [b]:
//   UCB_w(x) = s_w(mu(x) + sqrt(beta) sigma(x)),   value = max_i UCB_w(x_i),
// with the augmented Chebyshev scalarisation s_w (weights uniform on the simplex, drawn from
// `seed`; outcomes normalised by the range of the posterior mean on X_baseline). Draw a new
// weight (seed) per batch, as Paria et al. draw one per iteration.
//
// Example:
//   scalarized_ucb acq(model, X_observed, {.beta = 4.0, .seed = iteration});
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/detail/scalarization.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

namespace autopeft::mobo {

struct scalarized_ucb_options {
  double beta = 4.0;
  std::uint64_t seed = 0;
  double rho = 0.05;
  std::optional<torch::Tensor> weights = std::nullopt;  // [m]; default random on the simplex
};

template <class Model>
class scalarized_ucb {
 public:
  /// As ask_tell builds it: the context's told points and seed (pending points do not change a
  /// UCB value).
  scalarized_ucb(Model model, const acquisition_context& c)
      : scalarized_ucb(std::move(model), c.X_baseline, {.seed = c.seed}) {}
  scalarized_ucb(Model model, const torch::Tensor& X_baseline, scalarized_ucb_options options = {})
      : model_(std::move(model)), sqrt_beta_(std::sqrt(options.beta)) {
    torch::NoGradGuard no_grad;
    const auto mean = model_.posterior(X_baseline.to(torch::kFloat64)).mean.t();  // [n, m]
    auto w = options.weights ? options.weights->to(torch::kFloat64)
                             : detail::simplex_weights(mean.size(-1), options.seed);
    scalarize_ = detail::chebyshev::from_outcomes(w, mean, options.rho);
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    const auto post = model_.posterior(X);  // mean [b, m, q]
    const auto ucb = post.mean + sqrt_beta_ * post.variance().clamp_min(0.0).sqrt();
    return std::get<0>(scalarize_(ucb.transpose(-1, -2)).max(-1));
  }

 private:
  Model model_;
  double sqrt_beta_;
  detail::chebyshev scalarize_;
};

}  // namespace autopeft::mobo
