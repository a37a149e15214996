#pragma once
// Exact Gaussian-process regression with independent outputs, one GP per objective, batched:
// the m objectives share one kernel instance whose hyperparameters carry a batch dim of size m
// (construct the kernel with batch_shape {m}; an unbatched kernel shares its hyperparameters).
//
// Model (Rasmussen & Williams 2006, ch. 2 and 5), per objective j, on normalised inputs
// x in [0, 1]^d and standardised outcomes y_j:
//   y_j = f_j(x) + eps,   f_j ~ GP(0, k_j),   eps ~ N(0, sigma_j^2)
//   log p(y_j | theta) = -1/2 y_j^T K_y^{-1} y_j - 1/2 log|K_y| - n/2 log 2 pi,  K_y = K +
//   sigma_j^2 I
// fit() finds the MAP hyperparameters: it minimises
//   ( -sum_j log p(y_j | theta) - log p(theta) ) / n
// over the raw (log) hyperparameters with L-BFGS and a strong Wolfe line search, gradients from
// LibTorch autograd, optionally from several starts (the best is kept). Cholesky factors use
// jittered_cholesky: jitter 1e-6 .. 1e-2 x mean diagonal, then a clear autopeft::error.
//
// posterior(X) returns the latent f's posterior in the ORIGINAL outcome scale:
//   X [n, d]     -> mean [m, n],     covariance [m, n, n]
//   X [b, q, d]  -> mean [b, m, q],  covariance [b, m, q, q]
// differentiable with respect to X (hyperparameters are frozen outside fit()); rsample()
// turns it into samples [S, n, m].
//
// Double precision throughout: training data and queries are converted to float64, and kernels
// create float64 hyperparameters. Copies of a gp share its kernel's hyperparameter tensors.
//
// Example (BoTorch's SingleTaskGP defaults):
//   auto p = prior_set::dimension_scaled(d);
//   gp model(X, Y, rbf_kernel({.ard_num_dims = d, .batch_shape = {m},
//                              .lengthscale_prior = p.lengthscale,
//                              .initial_lengthscale = p.initial_lengthscale}));
//   model.fit();
//   auto post = model.posterior(X_test);   // mean [m, n_test]
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/model/detail/exact_inference.hpp>
#include <autopeft/mobo/model/detail/training_data.hpp>
#include <autopeft/mobo/model/gp_options.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>
#include <autopeft/mobo/model/surrogate_data.hpp>
#include <autopeft/mobo/prior/prior_set.hpp>

#include <torch/torch.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::mobo {

template <class K>
class gp {
  static_assert(detail::check_kernel<K>());

 public:
  using kernel_type = K;

  struct fit_result {
    double initial_loss = 0.0;  // the minimised objective at the initial hyperparameters
    double final_loss = 0.0;    // ... at the returned ones
    std::int64_t failed_starts = 0;
  };

  /// train_x [n, d], train_y [n, m] (or [n]) in the original scales.
  gp(const torch::Tensor& train_x, const torch::Tensor& train_y, K kernel, gp_options options = {})
      : data_(train_x, train_y, options, "gp"), kernel_(std::move(kernel)), o_(std::move(options)) {
    if (!data_.fixed_noise.defined()) {
      if (!(o_.initial_noise > o_.noise_lower_bound))
        throw error("gp: gp_options.initial_noise (" + std::to_string(o_.initial_noise) +
                    ") must exceed noise_lower_bound (" + std::to_string(o_.noise_lower_bound) +
                    ")");
      noise_ = hyperparameter{"noise",
                              hyperparameter::make_raw({data_.m()}, o_.initial_noise,
                                                       constraint::positive, o_.noise_lower_bound),
                              constraint::positive, o_.noise_lower_bound};
    }
    freeze();
    update_cache();
  }

  /// ask_tell's surrogate: a GP with BoTorch SingleTaskGP's defaults on data in [0, 1]^d (the
  /// kernel K built with one lengthscale per dimension, batch shape {m} and the dimension-scaled
  /// lengthscale prior, started at its mode), MAP-fitted with data.fit_restarts extra starts.
  [[nodiscard]] static gp from_data(const surrogate_data& data)
    requires std::constructible_from<K, ard_options>
  {
    const auto d = data.X.size(1);
    const auto p = prior_set::dimension_scaled(d);
    gp_options o;
    o.bounds = torch::stack({torch::zeros({d}), torch::ones({d})}).to(torch::kFloat64);
    o.restarts = data.fit_restarts;
    o.seed = data.seed;
    gp model(data.X, data.Y,
             K(ard_options{.ard_num_dims = d,
                           .batch_shape = {data.Y.size(1)},
                           .lengthscale_prior = p.lengthscale,
                           .initial_lengthscale = p.initial_lengthscale}),
             std::move(o));
    model.fit();
    return model;
  }

  /// MAP fit of all hyperparameters (kernel, and noise unless fixed). Throws autopeft::error if
  /// every start fails; otherwise keeps the best start and refreshes the posterior cache.
  fit_result fit() {
    const auto hps = hyperparameters();
    std::vector<torch::Tensor> params, initial;
    for (const auto& h : hps) {
      h.raw.requires_grad_(true);
      params.push_back(h.raw);
      initial.push_back(h.raw.detach().clone());
    }
    fit_result result;
    result.initial_loss = loss_value();
    if (params.empty()) {  // nothing to learn: a fixed kernel with fixed noise
      result.final_loss = result.initial_loss;
      return result;
    }
    double best = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_params = initial;
    std::mt19937_64 rng(o_.seed);
    std::normal_distribution<double> normal;
    std::string last_error;
    // When every requested start fails (the line search can step where the kernel matrix is
    // not positive definite), up to kFallbackStarts more perturbed starts are tried, as
    // BoTorch's fit_gpytorch_mll retries with new initial values.
    constexpr std::int64_t kFallbackStarts = 4;
    for (std::int64_t start = 0;
         start <= o_.restarts || (!std::isfinite(best) && start <= o_.restarts + kFallbackStarts);
         ++start) {
      {
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < params.size(); ++i) {
          params[i].copy_(initial[i]);
          if (start > 0) {
            std::vector<double> z(static_cast<std::size_t>(params[i].numel()));
            for (auto& v : z) v = normal(rng);
            params[i].add_(o_.restart_spread *
                           torch::tensor(z, torch::kFloat64).view(params[i].sizes()));
          }
        }
      }
      try {
        torch::optim::LBFGS opt(params, torch::optim::LBFGSOptions(1.0)
                                            .max_iter(o_.max_iter)
                                            .tolerance_grad(o_.tolerance_grad)
                                            .tolerance_change(o_.tolerance_change)
                                            .line_search_fn("strong_wolfe"));
        opt.step([&] {
          opt.zero_grad();
          // A step into a region where the factorisation fails gets a huge loss and no
          // gradient, so that the line search backs off instead of the start failing.
          try {
            auto l = loss();
            if (std::isfinite(l.template item<double>())) {
              l.backward();
              return l;
            }
          } catch (const std::exception&) {
          }
          opt.zero_grad();
          return torch::full({}, 1e10, torch::kFloat64);
        });
        const double value = loss_value();
        if (std::isfinite(value) && value < best) {
          best = value;
          for (std::size_t i = 0; i < params.size(); ++i)
            best_params[i] = params[i].detach().clone();
        } else if (!std::isfinite(value)) {
          ++result.failed_starts;
        }
      } catch (const std::exception& e) {
        ++result.failed_starts;
        last_error = e.what();
      }
    }
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best_params[i]);
    }
    freeze();
    if (!std::isfinite(best))
      throw error("gp::fit: all " + std::to_string(o_.restarts + 1) +
                  " starts failed; the hyperparameters are left at their initial values. Last "
                  "error: " +
                  (last_error.empty() ? std::string("non-finite loss") : last_error));
    result.final_loss = best;
    update_cache();
    return result;
  }

  /// Log marginal likelihood per objective [m], standardised scale, differentiable in the
  /// hyperparameters.
  [[nodiscard]] torch::Tensor log_marginal_likelihood() const {
    const auto l = detail::noisy_cholesky(kernel_(data_.x, data_.x), noise_diagonal(), "gp");
    return detail::log_marginal_likelihood(l, data_.y);
  }

  /// The objective fit() minimises: (-sum_j log p(y_j) - log prior) / n, a scalar.
  [[nodiscard]] torch::Tensor loss() const {
    auto lp = kernel_.log_prior();
    if (noise_.raw.defined() && o_.noise_prior)
      lp = lp + o_.noise_prior.log_prob(noise_.value()).sum();
    return -(log_marginal_likelihood().sum() + lp) / static_cast<double>(data_.n());
  }

  /// Posterior of the latent functions at X [n, d] or [b, q, d] (original input scale); see the
  /// header comment for shapes. observation_noise adds the noise variance (for a fixed
  /// heteroskedastic noise: its mean over the training points) to the diagonal.
  [[nodiscard]] multivariate_normal posterior(const torch::Tensor& x,
                                              bool observation_noise = false) const {
    const auto xq = data_.query(x, 1, "gp::posterior");
    auto p = detail::predict(l_, alpha_, kernel_(xq, data_.x), kernel_(xq, xq));
    if (observation_noise) {
      const auto q = xq.size(-2);
      const auto noise = noise_diagonal().mean(-1).unsqueeze(-1).unsqueeze(-1);  // [m, 1, 1]
      p.covariance = p.covariance + noise * torch::eye(q, p.covariance.options());
    }
    return data_.unstandardize(std::move(p));
  }

  /// What conditional_on_baseline() reuses for a fixed set of points X_b [nb, d] (original
  /// scale), e.g. qNEHVI's baseline: the posterior at X_b (mean, Cholesky factor L11 of the
  /// covariance) and the matrices that turn kernel rows k(x, X_b) into the conditional
  /// quantities (see conditional_on_baseline).
  struct baseline_cache {
    torch::Tensor xb;     // [nb, d] in [0, 1]^d
    torch::Tensor mean;   // [m, nb] posterior mean at X_b, original scale
    torch::Tensor l11;    // [m, nb, nb] L11 L11^T = posterior covariance at X_b, original scale
    bool contains_train = false;  // X_b starts with the training inputs
    torch::Tensor h, alpha;       // contains_train: [m, nb, nb], [m, nb]
    torch::Tensor g1, g2;         // otherwise: [m, nb, nb], [m, n, nb]
    torch::Tensor k_inv;          // [m, n, n]
  };
  [[nodiscard]] baseline_cache make_baseline_cache(const torch::Tensor& xb) const {
    torch::NoGradGuard no_grad;
    const auto xbq = data_.query(xb, 1, "gp::make_baseline_cache");  // [1, nb, d]
    const auto nb = xbq.size(-2), n = data_.n();
    const auto kbx = kernel_(xbq, data_.x);                            // [m, nb, n]
    const auto c = torch::cholesky_solve(kbx.transpose(-1, -2), l_, false);  // K^-1 k(X, X_b)
    auto s11 = kernel_(xbq, xbq) - kbx.matmul(c);
    s11 = 0.5 * (s11 + s11.transpose(-1, -2));
    const auto l11 = jittered_cholesky(s11, 1e-2, "gp (baseline posterior)");
    const auto eye = torch::eye(nb, l11.options()).expand_as(l11);
    const auto g1 = torch::linalg_solve_triangular(l11, eye, false, true, false).transpose(-1, -2);
    const auto g2 = c.matmul(g1);  // [m, n, nb]
    const auto k_inv = torch::cholesky_inverse(l_, false);
    const auto sd = data_.y_std.unsqueeze(-1);  // [m, 1]
    baseline_cache out;
    out.xb = xbq.squeeze(0);
    out.mean = kbx.matmul(alpha_.unsqueeze(-1)).squeeze(-1) * sd + data_.y_mean.unsqueeze(-1);
    out.l11 = l11 * sd.unsqueeze(-1);
    out.contains_train = nb >= n && torch::equal(out.xb.narrow(0, 0, n), data_.x);
    if (out.contains_train) {
      // k(x, X_train) = k(x, X_b)[:, :n], so every term is a product with k(x, X_b) alone.
      out.h = g1.clone();
      out.h.narrow(-2, 0, n).sub_(g2);
      out.alpha = torch::zeros({data_.m(), nb}, l11.options());
      out.alpha.narrow(-1, 0, n).copy_(alpha_);
    } else {
      out.g1 = g1;
      out.g2 = g2;
    }
    out.k_inv = k_inv;
    return out;
  }
  /// The posterior at candidates X [b, q, d] conditioned on the values at the cached X_b, in the
  /// block-Cholesky form that sampling needs (original outcome scale):
  ///   mean       [b, m, q]      posterior mean at X
  ///   l21        [b, m, q, nb]  L21 = S21 L11^-T,  S21 = Cov(f(X), f(X_b))
  ///   covariance [b, m, q, q]   S22 - L21 L21^T, the covariance of f(X) given f(X_b)
  /// With k_B = k(X, X_b), k_X = k(X, X_train), C = K^-1 k(X_train, X_b), G1 = L11^-T:
  ///   S21 = k_B - k_X C,  L21 = k_B G1 - k_X (C G1),
  ///   S22 - L21 L21^T = k(X, X) - k_X K^-1 k_X^T - L21 L21^T.
  /// When X_b starts with the training inputs, k_X is part of k_B and L21 = k_B H with H
  /// precomputed. Either way a candidate set costs a few matrix products, O(q (nb^2 + n^2)),
  /// instead of the O((n + q)^2 n) of a joint posterior over [X_b, X]. (Folding L21 L21^T into
  /// one precomputed quadratic form would save one more product, but its entries grow like
  /// 1 / min diag(L11)^2 and the cancellation would swamp small conditional variances.)
  struct baseline_conditional {
    torch::Tensor mean, l21, covariance;
  };
  [[nodiscard]] baseline_conditional conditional_on_baseline(const baseline_cache& c,
                                                             const torch::Tensor& x) const {
    const auto xq = data_.query(x, 1, "gp::conditional_on_baseline");  // [b, 1, q, d]
    const auto kb = kernel_(xq, c.xb);                                  // [b, m, q, nb]
    const auto kss = kernel_(xq, xq);                                   // [b, m, q, q]
    torch::Tensor mean, l21, cov;
    torch::Tensor kx;  // [b, m, q, n]
    if (c.contains_train) {
      kx = kb.narrow(-1, 0, data_.n());
      mean = kb.matmul(c.alpha.unsqueeze(-1)).squeeze(-1);
      l21 = detail::matmul_shared(kb, c.h);
    } else {
      kx = kernel_(xq, data_.x);
      mean = kx.matmul(alpha_.unsqueeze(-1)).squeeze(-1);
      l21 = detail::matmul_shared(kb, c.g1) - detail::matmul_shared(kx, c.g2);
    }
    cov = kss - detail::matmul_shared(kx, c.k_inv).matmul(kx.transpose(-1, -2)) -
          l21.matmul(l21.transpose(-1, -2));
    const auto sd = data_.y_std.unsqueeze(-1);  // [m, 1]
    return {mean * sd + data_.y_mean.unsqueeze(-1), l21 * sd.unsqueeze(-1),
            cov * sd.pow(2).unsqueeze(-1)};
  }

  [[nodiscard]] const K& kernel() const noexcept { return kernel_; }
  /// Noise variances on the standardised scale: [m] learned, or [m, n] fixed.
  [[nodiscard]] torch::Tensor noise() const {
    return noise_.raw.defined() ? noise_.value().detach() : data_.fixed_noise;
  }
  /// The kernel's hyperparameters and, unless fixed, "noise" [m].
  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const {
    auto hps = kernel_.hyperparameters();
    if (noise_.raw.defined()) hps.push_back(noise_);
    return hps;
  }

  [[nodiscard]] std::int64_t num_outputs() const { return data_.m(); }
  [[nodiscard]] std::int64_t num_inputs() const { return data_.d(); }
  [[nodiscard]] std::int64_t num_train() const { return data_.n(); }
  /// Training inputs in [0, 1]^d [n, d] and standardised targets [m, n].
  [[nodiscard]] const torch::Tensor& train_inputs() const noexcept { return data_.x; }
  [[nodiscard]] const torch::Tensor& train_targets() const noexcept { return data_.y; }
  /// The input and outcome transforms: X [..., d] -> [0, 1]^d; Y [..., m] <-> standardised.
  [[nodiscard]] torch::Tensor normalize_inputs(const torch::Tensor& x) const {
    return data_.normalize(x.to(torch::kFloat64));
  }
  [[nodiscard]] torch::Tensor standardize(const torch::Tensor& y) const {
    return data_.standardize(y.to(torch::kFloat64));
  }
  [[nodiscard]] torch::Tensor unstandardize(const torch::Tensor& y) const {
    return data_.unstandardize(y.to(torch::kFloat64));
  }

 private:
  [[nodiscard]] torch::Tensor noise_diagonal() const {
    if (!noise_.raw.defined()) return data_.fixed_noise;
    return noise_.value().unsqueeze(-1).expand({data_.m(), data_.n()});
  }
  [[nodiscard]] double loss_value() const {
    torch::NoGradGuard no_grad;
    try {
      return loss().template item<double>();
    } catch (const std::exception&) {
      return std::numeric_limits<double>::infinity();
    }
  }
  // Hyperparameters need gradients only inside fit(); elsewhere the posterior's graph should
  // reach X alone.
  void freeze() const {
    for (const auto& h : hyperparameters()) h.raw.requires_grad_(false);
  }
  void update_cache() {
    torch::NoGradGuard no_grad;
    l_ = detail::noisy_cholesky(kernel_(data_.x, data_.x), noise_diagonal(), "gp");
    alpha_ = detail::solve_alpha(l_, data_.y);
  }

  detail::training_data data_;
  K kernel_;
  gp_options o_;
  hyperparameter noise_;
  torch::Tensor l_, alpha_;
};

}  // namespace autopeft::mobo
