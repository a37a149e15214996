#pragma once
// Thompson sampling, MAXIMISATION, X [b, q, d] -> [b]: one joint posterior sample f over all
// b * q points of the call, then per candidate set either
//   - the hypervolume improvement of f(x_1..x_q) over the front of Y (with a reference point), or
//   - max_i s_w(f(x_i)), a random augmented Chebyshev scalarisation (Paria et al., UAI 2019),
// (Thompson 1933; for multi-objective BO e.g. Bradford, Schweidtmann & Lapkin, J. Global Optim.
// 2018). The sample is joint only within one call: evaluate the whole candidate set in one call
// (exhaustive_search does) so that the argmax is that of one function draw; values of different
// calls come from different draws (seeded by `seed` and a call counter shared by copies).
//
// Example:
//   thompson_sampling ts(model, Y_observed, {.ref_point = ref, .seed = 3});
//   auto best = exhaustive_search{candidates}(ts);
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/detail/inclusion_exclusion.hpp>
#include <autopeft/mobo/acquisition/detail/scalarization.hpp>
#include <autopeft/mobo/model/rsample.hpp>
#include <autopeft/mobo/pareto/box_decomposition.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <utility>
#include <vector>

namespace autopeft::mobo {

struct thompson_sampling_options {
  /// With a reference point [m] the utility is the HVI over the front of Y; without, a random
  /// Chebyshev scalarisation.
  std::optional<torch::Tensor> ref_point = std::nullopt;
  std::uint64_t seed = 0;
  double rho = 0.05;
};

template <class Model>
class thompson_sampling {
 public:
  /// Y [n, m]: observed (maximised) outcomes: the front to improve, or the normalisation range.
  /// As ask_tell builds it: the context's told outcomes, reference point and seed.
  thompson_sampling(Model model, const acquisition_context& c)
      : thompson_sampling(std::move(model), c.Y_baseline, {.ref_point = c.ref_point, .seed = c.seed}) {}
  thompson_sampling(Model model, const torch::Tensor& Y, thompson_sampling_options options = {})
      : model_(std::move(model)), seed_(options.seed), calls_(std::make_shared<std::uint64_t>(0)) {
    const auto y = Y.detach().to(torch::kFloat64);
    if (options.ref_point)
      cells_ = non_dominated_partitioning(y, options.ref_point->to(torch::kFloat64)).unsqueeze(1);
    else
      scalarize_ = detail::chebyshev::from_outcomes(
          detail::simplex_weights(y.size(-1), options.seed), y, options.rho);
  }

  /// X [b, q, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    const auto b = X.size(0), q = X.size(1);
    const auto post = model_.posterior(X.reshape({b * q, X.size(2)}));  // mean [m, bq]
    const auto m = post.mean.size(0);
    std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + (*calls_)++);
    std::normal_distribution<double> normal;
    std::vector<double> z(static_cast<std::size_t>(b * q * m));
    for (auto& v : z) v = normal(rng);
    const auto f = rsample(post, torch::tensor(z, torch::kFloat64).view({1, b * q, m}))
                       .view({1, b, q, m});
    if (cells_.defined()) return detail::hvi_inclusion_exclusion(cells_, f).squeeze(0);
    return std::get<0>(scalarize_(f.squeeze(0)).max(-1));
  }

 private:
  Model model_;
  std::uint64_t seed_;
  std::shared_ptr<std::uint64_t> calls_;
  torch::Tensor cells_;  // [2, 1, C, m]
  detail::chebyshev scalarize_;
};

}  // namespace autopeft::mobo
