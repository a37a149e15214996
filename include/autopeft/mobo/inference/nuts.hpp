#pragma once
// The No-U-Turn Sampler (Hoffman & Gelman, "The No-U-Turn Sampler: Adaptively Setting Path
// Lengths in Hamiltonian Monte Carlo", JMLR 15, 2014; Algorithms 3 and 6) over an unconstrained
// vector theta [dim] with log density log p(theta) and its gradient (e.g. from LibTorch
// autograd), with
//  - step size adaptation by dual averaging during warmup (H&G section 3.2: gamma = 0.05,
//    t0 = 10, kappa = 0.75, mu = log(10 eps), target acceptance delta);
//  - a diagonal mass matrix adapted in Stan's doubling windows (initial buffer 75, first window
//    25, final buffer 50 iterations, scaled down to 15 % / 75 % / 10 % for short warmups; Stan
//    Reference Manual, "HMC algorithm parameters"): at the end of each window the inverse mass is
//    the regularised sample variance (n var + 5e-3) / (n + 5) and the step size is searched anew.
// Kinetic energy r^T M^{-1} r / 2, momenta r ~ N(0, M). A leapfrog step whose joint log density
// falls 1000 below the slice is divergent and ends the tree. A log density that throws or
// returns a non-finite value counts as -infinity (the trajectory is rejected there).
//
// Example (the AutoPEFT reference's schedule is warmup 256, 128 samples, thinning 16):
//   nuts sampler({.warmup = 500, .num_samples = 1000, .thinning = 1, .seed = 7});
//   auto result = sampler.run([](const torch::Tensor& th, torch::Tensor& grad) {
//     grad = -th;                                   // standard normal
//     return -0.5 * th.dot(th).item<double>();
//   }, torch::zeros({2}, torch::kFloat64));
//   result.samples;                                 // [1000, 2]
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace autopeft::mobo {

struct nuts_options {
  std::int64_t warmup = 256;
  std::int64_t num_samples = 128;
  /// Keep every thinning-th sample after warmup: ceil(num_samples / thinning) are returned.
  std::int64_t thinning = 16;
  double target_accept = 0.8;
  std::int64_t max_tree_depth = 10;
  bool adapt_mass_matrix = true;
  /// <= 0: found by H&G's heuristic (Algorithm 4).
  double initial_step_size = 0.0;
  std::uint64_t seed = 0;
};

struct nuts_result {
  torch::Tensor samples;          // [ceil(num_samples / thinning), dim]
  double step_size = 0.0;         // after warmup
  torch::Tensor inverse_mass;     // [dim]
  double mean_accept_prob = 0.0;  // post-warmup mean of the trees' acceptance statistic
  std::int64_t divergences = 0;   // post-warmup
  std::int64_t gradient_evaluations = 0;
};

class nuts {
 public:
  /// Returns log p(theta) and writes its gradient [dim] into `grad`.
  using log_density = std::function<double(const torch::Tensor& theta, torch::Tensor& grad)>;

  explicit nuts(nuts_options o = {}) : o_(o), rng_(o.seed) {
    if (o_.warmup < 0 || o_.num_samples < 1 || o_.thinning < 1 || o_.max_tree_depth < 1 ||
        !(o_.target_accept > 0.0 && o_.target_accept < 1.0))
      throw error(
          "nuts: nuts_options needs warmup >= 0, num_samples >= 1, thinning >= 1, "
          "max_tree_depth >= 1 and 0 < target_accept < 1");
  }

  nuts_result run(const log_density& f, const torch::Tensor& theta0) {
    f_ = &f;
    evaluations_ = 0;
    const auto dim = theta0.numel();
    inv_mass_ = torch::ones({dim}, torch::kFloat64);
    state cur = evaluate(theta0.detach().to(torch::kFloat64).reshape({dim}).clone());
    if (!std::isfinite(cur.logp))
      throw error(
          "nuts: the log density at the initial point is not finite; start the chain "
          "where the model can be evaluated");

    double eps = o_.initial_step_size > 0 ? o_.initial_step_size : reasonable_step_size(cur, 1.0);
    dual_averaging da(eps, o_.target_accept);
    const auto ends = window_ends();
    std::size_t next_window = 0;
    std::int64_t window_n = 0;
    torch::Tensor w_mean = torch::zeros({dim}, torch::kFloat64), w_m2 = w_mean.clone();
    const std::int64_t window_start = ends.empty() ? o_.warmup : init_buffer_;

    nuts_result out;
    std::vector<torch::Tensor> kept;
    double accept_sum = 0.0;
    for (std::int64_t it = 0; it < o_.warmup + o_.num_samples; ++it) {
      bool diverged = false;
      const double accept = transition(cur, eps, diverged);
      if (it < o_.warmup) {
        eps = da.update(accept);
        if (!ends.empty() && it >= window_start && next_window < ends.size()) {
          ++window_n;  // Welford's running variance of the window's draws
          const auto delta = cur.theta - w_mean;
          w_mean += delta / static_cast<double>(window_n);
          w_m2 += delta * (cur.theta - w_mean);
          if (it + 1 == ends[next_window]) {
            const double n = static_cast<double>(window_n);
            const auto var = w_m2 / std::max(n - 1.0, 1.0);
            inv_mass_ = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0));
            window_n = 0;
            w_mean.zero_();
            w_m2.zero_();
            ++next_window;
            eps = reasonable_step_size(cur, eps);
            da = dual_averaging(eps, o_.target_accept);
          }
        }
        if (it + 1 == o_.warmup) eps = da.final_step_size();
      } else {
        accept_sum += accept;
        out.divergences += diverged ? 1 : 0;
        if ((it - o_.warmup) % o_.thinning == 0) kept.push_back(cur.theta.clone());
      }
    }
    out.samples = torch::stack(kept);
    out.step_size = eps;
    out.inverse_mass = inv_mass_.clone();
    out.mean_accept_prob = accept_sum / static_cast<double>(o_.num_samples);
    out.gradient_evaluations = evaluations_;
    return out;
  }

 private:
  struct state {
    torch::Tensor theta, r, grad;
    double logp = -std::numeric_limits<double>::infinity();
  };
  struct tree {
    state minus, plus, proposal;
    double n = 0.0;  // number of slice-valid states
    bool ok = true;  // no U-turn and no divergence
    bool diverged = false;
    double alpha = 0.0;
    std::int64_t n_alpha = 0;
  };

  // H&G section 3.2, with the averaged iterate returned after warmup.
  struct dual_averaging {
    double mu, delta, h_bar = 0.0, log_eps_bar = 0.0;
    std::int64_t t = 0;
    dual_averaging(double eps, double target) : mu(std::log(10.0 * eps)), delta(target) {}
    double update(double accept) {
      constexpr double gamma = 0.05, t0 = 10.0, kappa = 0.75;
      ++t;
      const double td = static_cast<double>(t);
      h_bar = (1.0 - 1.0 / (td + t0)) * h_bar + (delta - accept) / (td + t0);
      const double log_eps = mu - std::sqrt(td) / gamma * h_bar;
      const double eta = std::pow(td, -kappa);
      log_eps_bar = eta * log_eps + (1.0 - eta) * log_eps_bar;
      return std::exp(log_eps);
    }
    [[nodiscard]] double final_step_size() const { return std::exp(log_eps_bar); }
  };

  state evaluate(torch::Tensor theta) {
    ++evaluations_;
    state s{std::move(theta), {}, {}, -std::numeric_limits<double>::infinity()};
    try {
      torch::Tensor grad;
      const double lp = (*f_)(s.theta, grad);
      if (std::isfinite(lp) && grad.defined() && torch::isfinite(grad).all().item<bool>()) {
        s.logp = lp;
        s.grad = grad.detach().to(torch::kFloat64).reshape({s.theta.numel()});
      }
    } catch (const std::exception&) {
      // A model that cannot be evaluated here (e.g. a failed Cholesky) rejects the state.
    }
    if (!s.grad.defined()) s.grad = torch::zeros_like(s.theta);
    return s;
  }

  [[nodiscard]] double joint(const state& s) const {
    return s.logp - 0.5 * (inv_mass_ * s.r * s.r).sum().item<double>();
  }

  state leapfrog(const state& s, double eps) {
    const auto r_half = s.r + 0.5 * eps * s.grad;
    state out = evaluate(s.theta + eps * inv_mass_ * r_half);
    out.r = r_half + 0.5 * eps * out.grad;
    return out;
  }

  torch::Tensor momentum() {
    std::normal_distribution<double> normal;
    std::vector<double> z(static_cast<std::size_t>(inv_mass_.numel()));
    for (auto& v : z) v = normal(rng_);
    return torch::tensor(z, torch::kFloat64) / inv_mass_.sqrt();
  }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  [[nodiscard]] bool no_u_turn(const state& minus, const state& plus) const {
    const auto d = plus.theta - minus.theta;
    return (d * inv_mass_ * minus.r).sum().item<double>() >= 0.0 &&
           (d * inv_mass_ * plus.r).sum().item<double>() >= 0.0;
  }

  // H&G Algorithm 6's BuildTree: 2^depth leapfrog steps in direction v from s.
  tree build(const state& s, double log_u, int v, std::int64_t depth, double eps, double joint0) {
    if (depth == 0) {
      tree t;
      t.minus = t.plus = t.proposal = leapfrog(s, v * eps);
      const double h = joint(t.proposal);
      const bool finite = std::isfinite(h);
      t.n = finite && log_u <= h ? 1.0 : 0.0;
      t.ok = finite && log_u < h + 1000.0;
      t.diverged = !t.ok;
      t.alpha = finite ? std::min(1.0, std::exp(h - joint0)) : 0.0;
      t.n_alpha = 1;
      return t;
    }
    tree t = build(s, log_u, v, depth - 1, eps, joint0);
    if (!t.ok) return t;
    tree t2 = build(v == -1 ? t.minus : t.plus, log_u, v, depth - 1, eps, joint0);
    if (v == -1)
      t.minus = t2.minus;
    else
      t.plus = t2.plus;
    if (t.n + t2.n > 0.0 && uniform() < t2.n / (t.n + t2.n)) t.proposal = t2.proposal;
    t.alpha += t2.alpha;
    t.n_alpha += t2.n_alpha;
    t.diverged = t2.diverged;
    t.ok = t2.ok && no_u_turn(t.minus, t.plus);
    t.n += t2.n;
    return t;
  }

  // One NUTS transition from cur (H&G Algorithm 3 with Algorithm 6's statistics); returns the
  // acceptance statistic that dual averaging adapts.
  double transition(state& cur, double eps, bool& diverged) {
    cur.r = momentum();
    const double joint0 = joint(cur);
    const double log_u = joint0 + std::log(1.0 - uniform());  // u ~ U(0, exp(joint0)]
    state minus = cur, plus = cur, proposal = cur;
    double n = 1.0, alpha = 0.0;
    std::int64_t n_alpha = 0;
    bool ok = true;
    for (std::int64_t depth = 0; ok && depth < o_.max_tree_depth; ++depth) {
      const int v = uniform() < 0.5 ? -1 : 1;
      tree t = build(v == -1 ? minus : plus, log_u, v, depth, eps, joint0);
      if (v == -1)
        minus = t.minus;
      else
        plus = t.plus;
      if (t.ok && t.n > 0.0 && uniform() < std::min(1.0, t.n / n)) proposal = t.proposal;
      n += t.n;
      alpha += t.alpha;
      n_alpha += t.n_alpha;
      diverged = diverged || t.diverged;
      ok = t.ok && no_u_turn(minus, plus);
    }
    cur = proposal;
    return n_alpha > 0 ? alpha / static_cast<double>(n_alpha) : 0.0;
  }

  // H&G Algorithm 4: double or halve eps until one leapfrog step's acceptance crosses 1/2.
  double reasonable_step_size(state s, double eps) {
    s.r = momentum();
    const double h0 = joint(s);
    auto log_ratio = [&](double e) {
      const double h = joint(leapfrog(s, e));
      return std::isfinite(h) ? h - h0 : -std::numeric_limits<double>::infinity();
    };
    double lr = log_ratio(eps);
    const double a = lr > std::log(0.5) ? 1.0 : -1.0;
    for (int i = 0; i < 100 && a * lr > -a * std::log(2.0); ++i) {
      eps *= std::pow(2.0, a);
      lr = log_ratio(eps);
    }
    return eps;
  }

  // Ends (exclusive iteration indices) of Stan's doubling mass-matrix windows.
  std::vector<std::int64_t> window_ends() {
    std::vector<std::int64_t> ends;
    if (!o_.adapt_mass_matrix || o_.warmup < 20) return ends;
    std::int64_t init = 75, term = 50, base = 25;
    if (init + term + base > o_.warmup) {
      init = static_cast<std::int64_t>(0.15 * static_cast<double>(o_.warmup));
      term = static_cast<std::int64_t>(0.1 * static_cast<double>(o_.warmup));
      base = o_.warmup - init - term;
    }
    init_buffer_ = init;
    const std::int64_t last = o_.warmup - term;
    for (std::int64_t start = init, w = base; start < last; w *= 2) {
      std::int64_t end = start + w;
      if (end + 2 * w > last) end = last;
      ends.push_back(end);
      start = end;
    }
    return ends;
  }

  nuts_options o_;
  std::mt19937_64 rng_;
  const log_density* f_ = nullptr;
  torch::Tensor inv_mass_;
  std::int64_t evaluations_ = 0;
  std::int64_t init_buffer_ = 0;
};

}  // namespace autopeft::mobo
