#pragma once
// qLogNEHVI: the logarithm of a smoothed qNEHVI (Ament, Daulton, Eriksson, Balandat & Bakshy,
// "Unexpected improvements to expected improvement for Bayesian optimization", NeurIPS 2023),
// MAXIMISATION, X [b, q, d] -> [b]:
//   qLogNEHVI(X) = log( 1/S sum_s sHVI_s(X) ),
// with the same cached baseline samples and box decompositions as qnehvi, and sHVI the
// inclusion-exclusion sum with two smooth approximations, all in log space:
//   - the minimum over a subset of points and against a cell's upper bound:
//       min_i x_i ~ -tau_max log sum_i exp(-x_i / tau_max)   (at most tau_max log k below);
//   - the clamp of a side length: max(0, x) ~ tau_relu softplus(x / tau_relu), whose log is
//     log-linear for x << 0, so a candidate with no improvement in any sample still has a
//     finite value and a useful gradient (plain qNEHVI is flat 0 there);
// the log of a cell's volume is the sum of the log sides; cells, subsets and samples combine
// with logsumexp, and the alternating signs with log(a - b) = log a + log1mexp(log b - log a)
// (capped where smoothing makes the even subsets' total reach the odd ones', the exact HVI
// being ~0 there). As tau_max, tau_relu -> 0, exp(qLogNEHVI) -> qNEHVI; with the defaults
// (BoTorch's: 1e-2 and 1e-6 in outcome units) the difference is far below the Monte-Carlo
// error unless the objectives vary on a scale of 1e-2: scale them or the taus accordingly.
//
// Example:
//   qlog_nehvi acq(model, ref, X_observed, {.mc_samples = 128});
//   auto log_v = acq(X);   // [b]
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/detail/inclusion_exclusion.hpp>
#include <autopeft/mobo/acquisition/detail/joint_sampler.hpp>
#include <autopeft/mobo/acquisition/qnehvi.hpp>
#include <autopeft/mobo/pareto/box_decomposition.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

namespace autopeft::mobo {

struct qlog_nehvi_options {
  std::int64_t mc_samples = 128;
  std::uint64_t seed = 0;
  std::optional<torch::Tensor> X_pending = std::nullopt;  // [k, d], appended to the baseline
  std::optional<double> alpha = std::nullopt;             // box decomposition approximation
  double tau_max = 1e-2;                   // smooth minimum
  double tau_relu = 1e-6;                  // smooth clamp
};

template <class Model>
class qlog_nehvi {
 public:
  /// As ask_tell builds it: the context's reference point, told points, pending points, seed and
  /// mc_samples.
  qlog_nehvi(Model model, const acquisition_context& c)
      : qlog_nehvi(std::move(model), c.ref_point, c.X_baseline,
                   {.mc_samples = c.mc_samples, .seed = c.seed, .X_pending = c.X_pending}) {}
  qlog_nehvi(Model model, const torch::Tensor& ref_point, const torch::Tensor& X_baseline,
             qlog_nehvi_options options = {})
      : exact_(std::move(model), ref_point, X_baseline,
               {options.mc_samples, options.seed, options.X_pending, options.alpha}),
        tau_max_(options.tau_max),
        tau_relu_(options.tau_relu) {
    if (!(tau_max_ > 0.0 && tau_relu_ > 0.0))
      throw error("qlog_nehvi: tau_max and tau_relu must be positive");
    const auto& cells = exact_.cells();
    valid_ = (cells[1] > cells[0]).all(-1);  // [S, C]
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    const auto y = exact_.candidate_samples(X);
    const auto log_hvi =
        detail::log_hvi_inclusion_exclusion(exact_.cells(), valid_, y, tau_max_, tau_relu_);
    return log_hvi.logsumexp(0) - std::log(static_cast<double>(y.size(0)));
  }

  [[nodiscard]] const qnehvi<Model>& unsmoothed() const noexcept { return exact_; }

 private:
  qnehvi<Model> exact_;
  double tau_max_, tau_relu_;
  torch::Tensor valid_;
};

}  // namespace autopeft::mobo
