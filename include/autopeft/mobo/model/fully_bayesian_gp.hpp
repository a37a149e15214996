#pragma once
// A fully Bayesian exact GP: the kernel and noise hyperparameters are integrated out by MCMC
// instead of fixed at a point estimate. For each objective j separately, NUTS samples the raw
// (log) hyperparameters theta from
//   log p(theta | y_j) = log p(y_j | theta) + log p(value(theta)) + log |d value / d theta| + C
// (priors stated on the constrained values, plus the Jacobian of the exp/sigmoid map). The kept
// samples (ceil(num_samples / thinning) per objective, s in total) become one kernel with batch
// shape [s, m], so the posterior is a mixture of s GPs per objective:
//   X [n, d]     -> mean [s, m, n],     covariance [s, m, n, n]
//   X [b, q, d]  -> mean [b, s, m, q],  covariance [b, s, m, q, q]
// in the original outcome scale, differentiable in X. rsample(posterior, base [S, n, m]) draws
// from every sample model: [S, s, n, m] (average over s for mixture expectations, as BoTorch's
// fully Bayesian acquisitions do).
//
// The kernel type K must be constructible for any batch shape: the factory receives {} for the
// per-objective sampling and {s, m} for the final model. fully_bayesian_saas_gp is the SAAS
// instance the AutoPEFT reference uses.
//
// Cost: NUTS takes up to 2^max_tree_depth log-density evaluations per iteration, each a Cholesky
// of an n x n matrix plus its backward pass. For BO-sized n (tens to a few hundred) these are
// tiny ops whose cost is latency: intra-op threads do not help, and on a loaded machine they
// slowed a 30-point SAAS fit 20-fold here; calling torch::set_num_threads(1) around fit() is
// advisable (the library does not change that global setting for you).
//
// Example:
//   fully_bayesian_options o;
//   o.nuts = {.warmup = 256, .num_samples = 128, .thinning = 16, .max_tree_depth = 6};
//   fully_bayesian_gp<matern52_kernel> model(X, Y, [d](const std::vector<std::int64_t>& b) {
//     return matern52_kernel({.ard_num_dims = d, .batch_shape = b,
//                             .lengthscale_prior = gamma_prior{3.0, 6.0}});
//   }, o);
//   model.fit();
#include <autopeft/error.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/inference/nuts.hpp>
#include <autopeft/mobo/model/detail/exact_inference.hpp>
#include <autopeft/mobo/model/detail/training_data.hpp>
#include <autopeft/mobo/model/gp_options.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace autopeft::mobo {

struct fully_bayesian_options {
  /// Data handling and noise prior; the L-BFGS settings are not used.
  gp_options gp;
  /// NUTS schedule; objective j uses seed nuts.seed + j.
  nuts_options nuts;
};

template <class K>
class fully_bayesian_gp {
  static_assert(detail::check_kernel<K>());

 public:
  using kernel_type = K;
  using kernel_factory = std::function<K(const std::vector<std::int64_t>& batch_shape)>;

  /// train_x [n, d], train_y [n, m] (or [n]) in the original scales.
  fully_bayesian_gp(const torch::Tensor& train_x, const torch::Tensor& train_y,
                    kernel_factory make_kernel, fully_bayesian_options options = {})
      : data_(train_x, train_y, options.gp, "fully_bayesian_gp"),
        make_kernel_(std::move(make_kernel)),
        o_(std::move(options)) {
    if (!data_.fixed_noise.defined() && !(o_.gp.initial_noise > o_.gp.noise_lower_bound))
      throw error("fully_bayesian_gp: gp_options.initial_noise must exceed noise_lower_bound");
  }

  /// Runs NUTS for every objective and builds the [s, m]-batched model.
  void fit() {
    const auto m = data_.m();
    std::vector<torch::Tensor> samples;
    diagnostics_.clear();
    std::vector<std::vector<std::int64_t>> shapes;
    for (std::int64_t j = 0; j < m; ++j) {
      K k = make_kernel_({});
      auto hps = k.hyperparameters();
      const bool learned = !data_.fixed_noise.defined();
      hyperparameter noise;
      if (learned) {
        noise = {"noise",
                 hyperparameter::make_raw({}, o_.gp.initial_noise, constraint::positive,
                                          o_.gp.noise_lower_bound),
                 constraint::positive, o_.gp.noise_lower_bound};
        hps.push_back(noise);
      }
      std::vector<torch::Tensor> raws, flat0;
      shapes.clear();
      for (const auto& h : hps) {
        h.raw.requires_grad_(true);
        raws.push_back(h.raw);
        flat0.push_back(h.raw.detach().reshape({-1}));
        shapes.push_back(h.raw.sizes().vec());
      }
      const auto y = data_.y[j];
      const auto fixed = learned ? torch::Tensor() : data_.fixed_noise[j];
      const auto n = data_.n();
      nuts::log_density f = [&](const torch::Tensor& theta, torch::Tensor& grad) {
        {
          torch::NoGradGuard no_grad;
          std::int64_t off = 0;
          for (auto& r : raws) {
            r.copy_(theta.narrow(0, off, r.numel()).view(r.sizes()));
            off += r.numel();
          }
        }
        const auto noise_diag = learned ? noise.value().expand({n}) : fixed;
        const auto l = detail::noisy_cholesky(k(data_.x, data_.x), noise_diag, "fully_bayesian_gp");
        auto lp = detail::log_marginal_likelihood(l, y) + k.log_prior();
        if (learned && o_.gp.noise_prior) lp = lp + o_.gp.noise_prior.log_prob(noise.value()).sum();
        for (const auto& h : hps) lp = lp + h.log_abs_det_jacobian();
        const auto g = torch::autograd::grad({lp}, raws, {}, false, false, /*allow_unused=*/true);
        std::vector<torch::Tensor> flat;
        for (std::size_t i = 0; i < raws.size(); ++i)
          flat.push_back(g[i].defined() ? g[i].reshape({-1})
                                        : torch::zeros({raws[i].numel()}, torch::kFloat64));
        grad = torch::cat(flat);
        return lp.template item<double>();
      };
      auto nuts_o = o_.nuts;
      nuts_o.seed = o_.nuts.seed + static_cast<std::uint64_t>(j);
      diagnostics_.push_back(nuts(nuts_o).run(f, torch::cat(flat0)));
      samples.push_back(diagnostics_.back().samples);
    }

    const auto s = samples.front().size(0);
    kernel_ = make_kernel_({s, m});
    auto hps = kernel_->hyperparameters();
    if (!data_.fixed_noise.defined()) {
      noise_ =
          hyperparameter{"noise",
                         hyperparameter::make_raw({s, m}, o_.gp.initial_noise, constraint::positive,
                                                  o_.gp.noise_lower_bound),
                         constraint::positive, o_.gp.noise_lower_bound};
      hps.push_back(noise_);
    }
    if (hps.size() != shapes.size())
      throw error(
          "fully_bayesian_gp: the kernel factory returned kernels with different "
          "hyperparameter lists for batch shapes {} and {s, m}");
    {
      torch::NoGradGuard no_grad;
      for (std::int64_t j = 0; j < m; ++j) {
        std::int64_t off = 0;
        for (std::size_t h = 0; h < hps.size(); ++h) {
          std::int64_t numel = 1;
          for (auto e : shapes[h]) numel *= e;
          auto target = hps[h].raw.select(1, j);
          auto shape = shapes[h];
          shape.insert(shape.begin(), s);
          if (target.sizes().vec() != shape)
            throw error("fully_bayesian_gp: hyperparameter '" + hps[h].name +
                        "' of the batched kernel does not have shape [s, m, ...] matching the "
                        "unbatched one; does the kernel factory honour batch_shape?");
          target.copy_(samples[j].narrow(1, off, numel).reshape(shape));
          off += numel;
        }
      }
      for (const auto& h : hps) h.raw.requires_grad_(false);
      l_ = detail::noisy_cholesky((*kernel_)(data_.x, data_.x), noise_diagonal(),
                                  "fully_bayesian_gp");
      alpha_ = detail::solve_alpha(l_, data_.y);
    }
  }

  [[nodiscard]] bool is_fitted() const noexcept { return kernel_.has_value(); }

  /// Mixture posterior at X [n, d] or [b, q, d]; see the header comment for shapes.
  [[nodiscard]] multivariate_normal posterior(const torch::Tensor& x,
                                              bool observation_noise = false) const {
    require_fit("posterior");
    const auto xq = data_.query(x, 2, "fully_bayesian_gp::posterior");
    auto p = detail::predict(l_, alpha_, (*kernel_)(xq, data_.x), (*kernel_)(xq, xq));
    if (observation_noise) {
      const auto noise = noise_diagonal().mean(-1).unsqueeze(-1).unsqueeze(-1);
      p.covariance = p.covariance + noise * torch::eye(xq.size(-2), p.covariance.options());
    }
    return data_.unstandardize(std::move(p));
  }

  /// The [s, m]-batched kernel of the kept samples.
  [[nodiscard]] const K& kernel() const {
    require_fit("kernel");
    return *kernel_;
  }
  /// Noise variances (standardised scale): [s, m] sampled, or the fixed [m, n].
  [[nodiscard]] torch::Tensor noise() const {
    require_fit("noise");
    return noise_.raw.defined() ? noise_.value().detach() : data_.fixed_noise;
  }
  [[nodiscard]] std::int64_t num_mcmc_samples() const { return is_fitted() ? l_.size(0) : 0; }
  /// One NUTS result per objective (samples, step size, acceptance, divergences).
  [[nodiscard]] const std::vector<nuts_result>& diagnostics() const noexcept {
    return diagnostics_;
  }
  [[nodiscard]] std::int64_t num_outputs() const { return data_.m(); }
  [[nodiscard]] std::int64_t num_inputs() const { return data_.d(); }
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
  void require_fit(const char* what) const {
    if (!kernel_)
      throw error(std::string("fully_bayesian_gp::") + what +
                  ": the model has no hyperparameter samples yet; call fit() first");
  }
  [[nodiscard]] torch::Tensor noise_diagonal() const {
    if (!noise_.raw.defined()) return data_.fixed_noise;
    return noise_.value().unsqueeze(-1).expand(
        {l_.defined() ? l_.size(0) : noise_.raw.size(0), data_.m(), data_.n()});
  }

  detail::training_data data_;
  kernel_factory make_kernel_;
  fully_bayesian_options o_;
  std::optional<K> kernel_;
  hyperparameter noise_;
  torch::Tensor l_, alpha_;
  std::vector<nuts_result> diagnostics_;
};

}  // namespace autopeft::mobo
