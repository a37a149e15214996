#pragma once
// An ask/tell multi-objective optimiser, independent of PEFT: the caller evaluates the points
// it is asked for and tells the results.
//   ask(q) -> X [q, d] in the original input scale;   tell(X [k, d], Y [k, m]).
// The first `initial_points` asks return a space-filling design (qmc_uniform, or random; random
// points for discrete spaces). Afterwards every ask works on the inputs normalised to [0, 1]^d
// and the (maximised) outcomes, with three policies chosen by type:
//   Surrogate    a `surrogate` (mobo/concepts.hpp) fitted anew by Surrogate::from_data;
//                default gp<rbf_kernel>: BoTorch's SingleTaskGP defaults (RBF ARD kernel with
//                the dimension-scaled lengthscale prior, MAP);
//   Acquisition  called as acquisition(model, acquisition_context) for each point picked
//                (acquisition/acquisition_of.hpp); default acquisition_of<qlog_nehvi>;
//   Optimizer    called as optimizer(optimizer_context, make, q) -> [q, d]
//                (optimizer/optimizer_context.hpp); default pareto_local_search: q points by
//                sequential_greedy (each conditioned on the earlier ones as pending), by
//                multi_start_lbfgs (continuous space) or by local_search started from the
//                current Pareto set's inputs plus random restarts (discrete space, never
//                returning a point already told, pending or excluded).
// Policies are values: pass them to the constructor when they carry state (an adaptor that maps
// names chosen at run time to policies, as the autopeft program's does).
// ask(q, X_pending) also conditions on points under evaluation elsewhere (asynchronous workers,
// trials left waiting by an interrupted run); exclude(X) keeps points that cannot be evaluated
// (failed trials) from being proposed again without pretending to know their outcome. Objectives are maximised unless `minimize` is set, in which
// case Y and the reference point are negated internally; the reference point is given in the
// user's scale and sense.
//
// Example:
//   ask_tell opt(bounds, 2, torch::tensor({18.0, 6.0}), {.seed = 0, .minimize = true});
//   for (int i = 0; i < 10; ++i) {
//     auto X = opt.ask(2);
//     opt.tell(X, f(X));
//   }
// Other choices are types, e.g. autopeft_bo (below) or, with policies of one's own,
//   ask_tell<my_model, my_acquisition_policy> opt(bounds, 2, ref);   // examples/mobo_plugins.cpp
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/acquisition_context.hpp>
#include <autopeft/mobo/acquisition/acquisition_of.hpp>
#include <autopeft/mobo/acquisition/qlog_nehvi.hpp>
#include <autopeft/mobo/acquisition/qmc_normal.hpp>
#include <autopeft/mobo/acquisition/qnehvi.hpp>
#include <autopeft/mobo/acquisition/qnparego.hpp>
#include <autopeft/mobo/acquisition/thompson_sampling.hpp>
#include <autopeft/mobo/ask_tell_options.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/kernel/matern_kernel.hpp>
#include <autopeft/mobo/kernel/rbf_kernel.hpp>
#include <autopeft/mobo/model/gp.hpp>
#include <autopeft/mobo/optimizer/detail/rows.hpp>
#include <autopeft/mobo/optimizer/discrete_space.hpp>
#include <autopeft/mobo/optimizer/optimizer_context.hpp>
#include <autopeft/mobo/optimizer/pareto_local_search.hpp>
#include <autopeft/mobo/optimizer/random_candidates.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/mobo/pareto/non_dominated.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace autopeft::mobo {

template <class Surrogate = gp<rbf_kernel>, class Acquisition = acquisition_of<qlog_nehvi>,
          class Optimizer = pareto_local_search>
class ask_tell {
  static_assert(detail::check_ask_tell_surrogate<Surrogate>());
  static_assert(
      requires(const Acquisition& a, const Surrogate& m, const acquisition_context& c) {
        { a(m, c) } -> acquisition;
      },
      "autopeft::mobo::ask_tell: the Acquisition policy must be callable as "
      "`acquisition(const Surrogate& model, const autopeft::mobo::acquisition_context&)` and return "
      "an `acquisition` (e.g. acquisition_of<qnehvi>); see "
      "include/autopeft/mobo/acquisition/acquisition_of.hpp and examples/mobo_plugins.cpp");
  static_assert(
      requires(const Optimizer& o, const optimizer_context& c,
               detail::acquisition_archetype (*make)(const torch::Tensor&)) {
        { o(c, make, std::int64_t{1}) } -> std::convertible_to<torch::Tensor>;
      },
      "autopeft::mobo::ask_tell: the Optimizer policy must be callable as "
      "`optimizer(const autopeft::mobo::optimizer_context&, make_acquisition, std::int64_t q)` and "
      "return the q points [q, d] (e.g. pareto_local_search); see "
      "include/autopeft/mobo/optimizer/optimizer_context.hpp");

 public:
  using surrogate_type = Surrogate;
  using acquisition_policy = Acquisition;
  using optimizer_policy = Optimizer;

  /// Continuous box: bounds [2, d] (lower row, upper row); ref_point [m].
  ask_tell(const torch::Tensor& bounds, std::int64_t num_objectives, const torch::Tensor& ref_point,
           ask_tell_options options = {}, Acquisition acquisition = {}, Optimizer optimizer = {})
      : ask_tell(bounds, num_objectives, ref_point, std::nullopt, std::move(options),
                 std::move(acquisition), std::move(optimizer)) {}
  /// Discrete space inside the box `bounds` (used to normalise the inputs).
  ask_tell(const torch::Tensor& bounds, std::int64_t num_objectives, const torch::Tensor& ref_point,
           discrete_space space, ask_tell_options options = {}, Acquisition acquisition = {},
           Optimizer optimizer = {})
      : ask_tell(bounds, num_objectives, ref_point, std::optional(std::move(space)),
                 std::move(options), std::move(acquisition), std::move(optimizer)) {}

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
    const auto model =
        Surrogate::from_data({.X = x01, .Y = y, .fit_restarts = o_.fit_restarts, .seed = o_.seed + asks_});
    const auto seed = o_.seed * 1000003ULL + static_cast<std::uint64_t>(asks_++);
    const auto ref = maximised(ref_);
    std::uint64_t pick = 0;
    auto make = [&](const torch::Tensor& pending) {
      torch::Tensor all = pending01;
      if (pending.defined()) all = all.defined() ? torch::cat({all, pending}) : pending;
      return acquisition_(model, {.ref_point = ref,
                                  .X_baseline = x01,
                                  .Y_baseline = y,
                                  .X_pending = all.defined() ? std::optional(all) : std::nullopt,
                                  .seed = seed + 7919 * pick++,
                                  .mc_samples = o_.mc_samples});
    };
    std::optional<discrete_space> unit_space;
    if (space_)
      unit_space = discrete_space{
          [this](const torch::Tensor& x) {
            auto nb = space_->neighbours(denormalize(x));
            for (auto& v : nb) v = normalize(v.to(torch::kFloat64));
            return nb;
          },
          [this](std::mt19937_64& rng) { return normalize(space_->random_point(rng).to(torch::kFloat64)); }};
    const auto X01 = optimizer_({.d = d_,
                                 .space = std::move(unit_space),
                                 .front = x01.index({is_non_dominated(y)}),
                                 .avoid = outside,
                                 .seed = seed,
                                 .num_restarts = o_.num_restarts,
                                 .raw_samples = o_.raw_samples,
                                 .max_iter = o_.max_iter,
                                 .local_search_restarts = o_.local_search_restarts},
                                make, q);
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
           std::optional<discrete_space> space, ask_tell_options o, Acquisition acquisition,
           Optimizer optimizer)
      : m_(m),
        ref_(ref.detach().to(torch::kFloat64)),
        space_(std::move(space)),
        o_(std::move(o)),
        acquisition_(std::move(acquisition)),
        optimizer_(std::move(optimizer)) {
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
  Acquisition acquisition_;
  Optimizer optimizer_;
  std::mt19937_64 rng_;
  std::int64_t asks_ = 0, design_used_ = 0;
};

/// AutoPEFT's setting (and study_driver's default): a Matern-5/2 GP, qNEHVI, local search from
/// the Pareto set.
using autopeft_bo = ask_tell<gp<matern52_kernel>, acquisition_of<qnehvi>, pareto_local_search>;
/// ParEGO's random Chebyshev scalarisations, as a q-batch Monte-Carlo acquisition.
using qnparego_bo = ask_tell<gp<rbf_kernel>, acquisition_of<qnparego>, pareto_local_search>;
/// Thompson sampling: the best of random candidates under one posterior draw.
using thompson_bo = ask_tell<gp<rbf_kernel>, acquisition_of<thompson_sampling>, random_candidates>;

}  // namespace autopeft::mobo
