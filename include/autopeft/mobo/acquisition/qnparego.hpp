#pragma once
// qNParEGO: the noisy expected improvement of a random augmented Chebyshev scalarisation
// (Knowles, "ParEGO", IEEE TEVC 2006; the q-batch noisy form of Daulton, Balandat & Bakshy,
// NeurIPS 2020 / 2021), MAXIMISATION, X [b, q, d] -> [b]:
//   qNParEGO(X) = 1/S sum_s max(0, max_i s_w(y_s(x_i)) - max_k s_w(y_s(x_b,k))),
// with joint posterior samples over the baseline X_b and the candidates (the baseline part
// drawn once, as in qnehvi), the weight w uniform on the simplex (drawn from `seed`: build one
// acquisition per weight), and s_w the augmented Chebyshev scalarisation
//   s_w(y) = min_j w_j yn_j + rho sum_j w_j yn_j,  yn = (y - lo) / (hi - lo),
// normalised by the range of the posterior mean on the baseline.
//
// Example:
//   qnparego acq(model, X_observed, {.seed = batch_index});
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/detail/joint_sampler.hpp>
#include <autopeft/mobo/acquisition/detail/scalarization.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <utility>

namespace autopeft::mobo {

struct qnparego_options {
  std::int64_t mc_samples = 128;
  std::uint64_t seed = 0;                  // of the base samples and the weights
  std::optional<torch::Tensor> X_pending = std::nullopt;  // [k, d], appended to the baseline
  double rho = 0.05;                       // augmentation
  std::optional<torch::Tensor> weights = std::nullopt;    // [m] on the simplex; default random
};

template <class Model>
class qnparego {
 public:
  /// As ask_tell builds it: the context's told points, pending points, seed and mc_samples.
  qnparego(Model model, const acquisition_context& c)
      : qnparego(std::move(model), c.X_baseline,
                 {.mc_samples = c.mc_samples, .seed = c.seed, .X_pending = c.X_pending}) {}
  qnparego(Model model, const torch::Tensor& X_baseline, qnparego_options options = {})
      : sampler_(std::move(model), baseline(X_baseline, options), options.mc_samples,
                 options.seed, "qnparego") {
    torch::NoGradGuard no_grad;
    const auto m = sampler_.num_outputs();
    auto w = options.weights ? options.weights->to(torch::kFloat64)
                             : detail::simplex_weights(m, options.seed);
    const auto xb = sampler_.x_baseline();
    const auto mean = xb.size(0) > 0 ? sampler_.model().posterior(xb).mean.t()
                                     : torch::zeros({1, m}, torch::kFloat64);  // [n, m]
    scalarize_ = detail::chebyshev::from_outcomes(w, mean, options.rho);
    const auto& yb = sampler_.baseline_samples();
    best_ = yb.size(1) > 0 ? std::get<0>(scalarize_(yb).max(-1))  // [S]
                           : torch::full({sampler_.num_samples()}, -1e300, torch::kFloat64);
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    const auto values = std::get<0>(scalarize_(sampler_(X)).max(-1));  // [S, b]
    return (values - best_.unsqueeze(-1)).clamp_min(0.0).mean(0);
  }

  [[nodiscard]] const torch::Tensor& weights() const noexcept { return scalarize_.weights; }

 private:
  static torch::Tensor baseline(const torch::Tensor& x, const qnparego_options& o) {
    auto xb = x.detach().to(torch::kFloat64);
    if (o.X_pending && o.X_pending->numel() > 0)
      xb = torch::cat({xb, o.X_pending->detach().to(torch::kFloat64).view({-1, xb.size(-1)})});
    return xb;
  }

  detail::joint_sampler<Model> sampler_;
  detail::chebyshev scalarize_;
  torch::Tensor best_;
};

}  // namespace autopeft::mobo
