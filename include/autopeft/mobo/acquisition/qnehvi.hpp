#pragma once
// qNEHVI: the q-batch noisy expected hypervolume improvement (Daulton, Balandat & Bakshy,
// "Parallel Bayesian optimization of multiple noisy objectives with expected hypervolume
// improvement", NeurIPS 2021), MAXIMISATION:
//   qNEHVI(X) = E[ HVI(f(X) | P(f(X_b))) ]
//             ~ 1/S sum_s HVI(y_s(X) | front of y_s(X_b)),   X [b, q, d] -> [b]
// where f is the model's posterior, X_b the baseline (observed inputs, then X_pending appended)
// and (y_s(X_b), y_s(X)) joint posterior samples. The baseline samples are drawn once (fixed
// quasi-random base samples, qmc_normal) and for each of them one box decomposition of the
// region not dominated by the sampled front is computed at construction
// (non_dominated_partitioning on [S, n, m], cached like BoTorch's cache_root); a call only
// samples the candidates conditionally on the cached baseline draw (detail::joint_sampler) and
// sums the cell volumes by inclusion-exclusion over the 2^q - 1 subsets of the q points
// (detail::hvi_inclusion_exclusion). The value is differentiable with respect to X.
// Cost per call: O(b (n + q)^2 n m) for the posterior, O(S b 2^q C m) for the HVI with C cells.
//
// Pending points (chosen, not yet evaluated) join the baseline: their sampled values belong to
// the sampled fronts, so candidates near them gain little. ref_point is in the (maximised)
// outcome scale of the model.
//
// Example:
//   qnehvi acq(model, torch::tensor({-18.0, -6.0}, torch::kFloat64), X_observed,
//              {.mc_samples = 128, .seed = 0});
//   auto v = acq(X);                            // X [b, q, d] -> [b]
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/detail/inclusion_exclusion.hpp>
#include <autopeft/mobo/acquisition/detail/joint_sampler.hpp>
#include <autopeft/mobo/pareto/box_decomposition.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace autopeft::mobo {

struct qnehvi_options {
  std::int64_t mc_samples = 128;           // S
  std::uint64_t seed = 0;                  // of the base samples
  std::optional<torch::Tensor> X_pending = std::nullopt;  // [k, d], appended to the baseline
  /// Box decomposition approximation (see non_dominated_partitioning); default exact up to 4
  /// objectives.
  std::optional<double> alpha = std::nullopt;
};

template <class Model>
class qnehvi {
 public:
  /// As ask_tell builds it: the context's reference point, told points, pending points, seed and
  /// mc_samples.
  qnehvi(Model model, const acquisition_context& c)
      : qnehvi(std::move(model), c.ref_point, c.X_baseline,
               {c.mc_samples, c.seed, c.X_pending, std::nullopt}) {}
  qnehvi(Model model, const torch::Tensor& ref_point, const torch::Tensor& X_baseline,
         qnehvi_options options = {})
      : ref_(ref_point.detach().to(torch::kFloat64)),
        sampler_(std::move(model), baseline(X_baseline, options), options.mc_samples,
                 options.seed, "qnehvi") {
    if (ref_.dim() != 1 || ref_.size(0) != sampler_.num_outputs())
      throw error("qnehvi: ref_point must be [m] with m = " +
                  std::to_string(sampler_.num_outputs()) + " objectives, got " +
                  c10::str(ref_.sizes()));
    const auto& yb = sampler_.baseline_samples();
    cells_ = options.alpha ? non_dominated_partitioning(yb, ref_, *options.alpha)
                           : non_dominated_partitioning(yb, ref_);  // [2, S, C, m]
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    return detail::hvi_inclusion_exclusion(cells_, sampler_(X)).mean(0);
  }

  /// The samples the value averages over: baseline [S, n, m] and candidates [S, b, q, m].
  [[nodiscard]] const torch::Tensor& baseline_samples() const {
    return sampler_.baseline_samples();
  }
  [[nodiscard]] torch::Tensor candidate_samples(const torch::Tensor& X) const {
    return sampler_(X);
  }
  /// The cached decompositions [2, S, C, m] (padded cells have lower = upper = ref).
  [[nodiscard]] const torch::Tensor& cells() const noexcept { return cells_; }
  [[nodiscard]] const torch::Tensor& ref_point() const noexcept { return ref_; }

 private:
  static torch::Tensor baseline(const torch::Tensor& x, const qnehvi_options& o) {
    auto xb = x.detach().to(torch::kFloat64);
    if (o.X_pending && o.X_pending->numel() > 0)
      xb = torch::cat({xb, o.X_pending->detach().to(torch::kFloat64).view({-1, xb.size(-1)})});
    return xb;
  }

  torch::Tensor ref_;
  detail::joint_sampler<Model> sampler_;
  torch::Tensor cells_;
};

}  // namespace autopeft::mobo
