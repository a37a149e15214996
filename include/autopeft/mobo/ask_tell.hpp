#pragma once
// An ask/tell multi-objective optimiser, independent of PEFT: the caller evaluates the points
// it is asked for and tells the results.
//   ask(q) -> X [q, d] in the original input scale;   tell(X [k, d], Y [k, m]).
// The first `initial_points` asks return a space-filling design (qmc_uniform, or random; random
// points for discrete spaces). Afterwards every ask fits a GP per objective (autopeft::mobo::gp
// with BoTorch's SingleTaskGP defaults: RBF ARD kernel with the dimension-scaled lengthscale
// prior, MAP) on the inputs normalised to [0, 1]^d and the (maximised) outcomes, builds the
// chosen acquisition and picks q points by sequential_greedy (each conditioned on the earlier
// ones as pending), optimised by multi_start_lbfgs (continuous space) or by local_search started
// from the current Pareto set's inputs plus random restarts (discrete space, never returning a
// point already told, pending or excluded).
// ask(q, X_pending) also conditions on points under evaluation elsewhere (asynchronous workers,
// trials left waiting by an interrupted run); exclude(X) keeps points that cannot be evaluated
// (failed trials) from being proposed again without pretending to know their outcome. Objectives are maximised unless `minimize` is set, in which
// case Y and the reference point are negated internally; the reference point is given in the
// user's scale and sense.
//
// Example:
//   ask_tell opt(bounds, 2, torch::tensor({18.0, 6.0}), {.minimize = true, .seed = 0});
//   for (int i = 0; i < 10; ++i) {
//     auto X = opt.ask(2);
//     opt.tell(X, f(X));
//   }
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/kernel/rbf_kernel.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/optimizer.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>
#include <autopeft/mobo/prior/prior_set.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::mobo {

enum class acquisition_kind { qlog_nehvi, qnehvi, qnparego, ucb, thompson, random };
enum class initial_design { quasi_random, random };

struct ask_tell_options {
  std::int64_t initial_points = 0;  // 0: 2 (d + 1)
  initial_design design = initial_design::quasi_random;
  acquisition_kind acquisition = acquisition_kind::qlog_nehvi;
  std::int64_t mc_samples = 128;
  std::uint64_t seed = 0;
  bool minimize = false;
  // Continuous spaces (multi_start_lbfgs).
  std::int64_t num_restarts = 10;
  std::int64_t raw_samples = 256;
  std::int64_t max_iter = 100;
  // Discrete spaces (local_search).
  std::int64_t local_search_restarts = 10;
  // GP fit: extra MAP starts.
  std::int64_t fit_restarts = 0;
};

/// A discrete (or mixed) search space in the original input scale.
struct discrete_space {
  std::function<std::vector<torch::Tensor>(const torch::Tensor&)> neighbours;  // x [d] -> {[d]}
  std::function<torch::Tensor(std::mt19937_64&)> random_point;                // -> [d]

  [[nodiscard]] static discrete_space of(const lattice& grid) {
    return {[grid](const torch::Tensor& x) { return grid.neighbours(x); },
            [grid](std::mt19937_64& rng) { return grid.random_point(rng); }};
  }
};

template <class Kernel = rbf_kernel>
class ask_tell {
 public:
  using kernel_type = Kernel;
  using model_type = gp<Kernel>;

  /// Continuous box: bounds [2, d] (lower row, upper row); ref_point [m].
  ask_tell(const torch::Tensor& bounds, std::int64_t num_objectives, const torch::Tensor& ref_point,
           ask_tell_options options = {})
      : ask_tell(bounds, num_objectives, ref_point, std::nullopt, std::move(options)) {}
  /// Discrete space inside the box `bounds` (used to normalise the inputs).
  ask_tell(const torch::Tensor& bounds, std::int64_t num_objectives, const torch::Tensor& ref_point,
           discrete_space space, ask_tell_options options = {})
      : ask_tell(bounds, num_objectives, ref_point, std::optional(std::move(space)),
                 std::move(options)) {}

  /// The next q points to evaluate, [q, d] (original scale). X_pending [p, d] (original scale,
  /// may be undefined or empty): points being evaluated whose results are not told yet; the
  /// acquisition conditions on them and they are not proposed again.
  [[nodiscard]] torch::Tensor ask(std::int64_t q, const torch::Tensor& X_pending = {}) {
    if (q < 1) throw error("ask_tell::ask: q must be >= 1, got " + std::to_string(q));
    torch::Tensor outside;  // normalised: pending and excluded, never proposed
    torch::Tensor pending01;
    if (X_pending.defined() && X_pending.numel() > 0) {
      const auto p = X_pending.detach().to(torch::kFloat64).view({-1, d_});
      pending01 = normalize(p);
    }
    if (num_told() < o_.initial_points) return initial(q, X_pending);
    const auto x01 = normalize(x_);
    outside = x01;
    if (pending01.defined()) outside = torch::cat({outside, pending01});
    if (excluded_.size(0) > 0) outside = torch::cat({outside, normalize(excluded_)});
    const auto y = maximised(y_);
    const auto p = prior_set::dimension_scaled(d_);
    gp_options go;
    go.bounds = torch::stack({torch::zeros({d_}), torch::ones({d_})}).to(torch::kFloat64);
    go.restarts = o_.fit_restarts;
    go.seed = o_.seed + asks_;
    model_type model(x01, y,
                     Kernel({.ard_num_dims = d_,
                                 .batch_shape = {m_},
                                 .lengthscale_prior = p.lengthscale,
                                 .initial_lengthscale = p.initial_lengthscale}),
                     go);
    model.fit();
    const auto seed = o_.seed * 1000003ULL + static_cast<std::uint64_t>(asks_++);
    const auto ref = maximised(ref_);
    const auto front = x01.index({is_non_dominated(y)});
    std::uint64_t pick = 0;
    auto make = [&](const torch::Tensor& pending) -> acquisition_function {
      const auto s = seed + 7919 * pick++;
      torch::Tensor all = pending01;
      if (pending.defined()) all = all.defined() ? torch::cat({all, pending}) : pending;
      const std::optional<torch::Tensor> pend = all.defined() ? std::optional(all) : std::nullopt;
      switch (o_.acquisition) {
        case acquisition_kind::qnehvi:
          return qnehvi(model, ref, x01, {o_.mc_samples, s, pend, std::nullopt});
        case acquisition_kind::qnparego:
          return qnparego(model, x01, {.mc_samples = o_.mc_samples, .seed = s, .X_pending = pend});
        case acquisition_kind::ucb: return scalarized_ucb(model, x01, {.seed = s});
        case acquisition_kind::thompson: return thompson_sampling(model, y, {.ref_point = ref, .seed = s});
        case acquisition_kind::random: return random_acquisition({.seed = s});
        case acquisition_kind::qlog_nehvi:
        default:
          return qlog_nehvi(model, ref, x01,
                            {.mc_samples = o_.mc_samples, .seed = s, .X_pending = pend});
      }
    };
    torch::Tensor X01;
    const bool one_shot = o_.acquisition == acquisition_kind::thompson ||
                          o_.acquisition == acquisition_kind::random;
    if (space_) {
      local_search opt(
          [this](const torch::Tensor& x) {
            auto nb = space_->neighbours(denormalize(x));
            for (auto& v : nb) v = normalize(v.to(torch::kFloat64));
            return nb;
          },
          [this](std::mt19937_64& rng) { return normalize(space_->random_point(rng).to(torch::kFloat64)); },
          {.starts = front,
           .num_restarts = o_.local_search_restarts,
           .avoid = outside,
           .seed = seed});
      if (one_shot) {
        std::mt19937_64 rng(seed);
        std::vector<torch::Tensor> c;
        for (std::int64_t i = 0; i < o_.raw_samples; ++i)
          c.push_back(normalize(space_->random_point(rng).to(torch::kFloat64)));
        X01 = sequential_greedy(exhaustive_search(torch::stack(c), {.avoid = outside}), make, q);
      } else {
        X01 = sequential_greedy(opt, make, q);
      }
    } else {
      const auto unit = torch::stack({torch::zeros({d_}), torch::ones({d_})}).to(torch::kFloat64);
      if (one_shot) {
        X01 = sequential_greedy(
            exhaustive_search(qmc_uniform(o_.raw_samples, d_, seed)), make, q);
      } else {
        X01 = sequential_greedy(multi_start_lbfgs(unit, {.num_restarts = o_.num_restarts,
                                                          .raw_samples = o_.raw_samples,
                                                          .max_iter = o_.max_iter,
                                                          .starts = front,
                                                          .seed = seed}),
                                make, q);
      }
    }
    return denormalize(X01);
  }

  /// Results of evaluated points: X [k, d] (original scale), Y [k, m] (the user's sense).
  void tell(const torch::Tensor& X, const torch::Tensor& Y) {
    const auto x = X.detach().to(torch::kFloat64).view({-1, d_});
    const auto y = Y.detach().to(torch::kFloat64).view({-1, m_});
    if (x.size(0) != y.size(0))
      throw error("ask_tell::tell: X has " + std::to_string(x.size(0)) + " rows but Y has " +
                  std::to_string(y.size(0)));
    if (!torch::isfinite(y).all().item<bool>())
      throw error("ask_tell::tell: Y has NaN or infinite values; drop failed evaluations");
    x_ = torch::cat({x_, x});
    y_ = torch::cat({y_, y});
  }

  /// Points (original scale, [k, d]) never to propose again, e.g. configurations whose trial
  /// failed. They carry no outcome, so the models do not see them.
  void exclude(const torch::Tensor& X) {
    excluded_ = torch::cat({excluded_, X.detach().to(torch::kFloat64).view({-1, d_})});
  }

  [[nodiscard]] std::int64_t num_told() const { return x_.size(0); }
  [[nodiscard]] const torch::Tensor& X() const noexcept { return x_; }
  [[nodiscard]] const torch::Tensor& Y() const noexcept { return y_; }
  /// Indices-free views of the current Pareto set: inputs [k, d] and outcomes [k, m].
  [[nodiscard]] torch::Tensor pareto_X() const { return x_.index({is_non_dominated(maximised(y_))}); }
  [[nodiscard]] torch::Tensor pareto_Y() const { return y_.index({is_non_dominated(maximised(y_))}); }
  /// Hypervolume of the told outcomes with respect to the reference point (in the user's sense).
  [[nodiscard]] double hypervolume() const {
    return mobo::hypervolume(maximised(y_), maximised(ref_));
  }

 private:
  ask_tell(const torch::Tensor& bounds, std::int64_t m, const torch::Tensor& ref,
           std::optional<discrete_space> space, ask_tell_options o)
      : m_(m), ref_(ref.detach().to(torch::kFloat64)), space_(std::move(space)), o_(std::move(o)) {
    const auto b = bounds.detach().to(torch::kFloat64);
    if (b.dim() != 2 || b.size(0) != 2 || !(b[1] > b[0]).all().item<bool>())
      throw error("ask_tell: bounds must be [2, d] (lower row, upper row) with upper > lower, got " +
                  c10::str(bounds.sizes()));
    if (m < 1 || ref_.dim() != 1 || ref_.size(0) != m)
      throw error("ask_tell: ref_point must have num_objectives = " + std::to_string(m) +
                  " entries, got " + c10::str(ref.sizes()));
    d_ = b.size(1);
    lower_ = b[0];
    width_ = b[1] - b[0];
    if (o_.initial_points <= 0) o_.initial_points = 2 * (d_ + 1);
    x_ = torch::empty({0, d_}, torch::kFloat64);
    y_ = torch::empty({0, m_}, torch::kFloat64);
    excluded_ = torch::empty({0, d_}, torch::kFloat64);
    rng_.seed(o_.seed);
  }

  torch::Tensor initial(std::int64_t q, const torch::Tensor& X_pending) {
    torch::Tensor x;
    if (space_) {
      // Distinct points, none already told, pending or excluded (as far as 100 draws per point
      // find one).
      auto seen = torch::cat({x_, excluded_});
      if (X_pending.defined() && X_pending.numel() > 0)
        seen = torch::cat({seen, X_pending.detach().to(torch::kFloat64).view({-1, d_})});
      std::vector<torch::Tensor> c;
      for (std::int64_t i = 0; i < q; ++i) {
        auto p = space_->random_point(rng_).to(torch::kFloat64);
        for (int t = 0; t < 100 && detail::is_row_of(p, seen); ++t)
          p = space_->random_point(rng_).to(torch::kFloat64);
        seen = torch::cat({seen, p.view({1, d_})});
        c.push_back(p);
      }
      x = torch::stack(c);
    } else {
      if (o_.design == initial_design::quasi_random) {
        const auto all = qmc_uniform(design_used_ + q, d_, o_.seed);
        x = denormalize(all.narrow(0, design_used_, q));
      } else {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::vector<double> v(static_cast<std::size_t>(q * d_));
        for (auto& e : v) e = u(rng_);
        x = denormalize(torch::tensor(v, torch::kFloat64).view({q, d_}));
      }
    }
    design_used_ += q;
    return x;
  }
  [[nodiscard]] torch::Tensor normalize(const torch::Tensor& x) const { return (x - lower_) / width_; }
  [[nodiscard]] torch::Tensor denormalize(const torch::Tensor& x) const { return lower_ + width_ * x; }
  [[nodiscard]] torch::Tensor maximised(const torch::Tensor& y) const {
    return o_.minimize ? -y : y;
  }

  std::int64_t d_ = 0, m_;
  torch::Tensor lower_, width_, ref_, x_, y_, excluded_;
  std::optional<discrete_space> space_;
  ask_tell_options o_;
  std::mt19937_64 rng_;
  std::int64_t asks_ = 0, design_used_ = 0;
};

}  // namespace autopeft::mobo
