#pragma once
// Samples of the joint posterior over a fixed baseline X_b [n, d] and candidates X [b, q, d]
// whose baseline part is drawn once and reused (BoTorch's cache_root): with the joint
// covariance [[S11, S12], [S21, S22]] and the cached L11 L11^T = S11,
//   Y_b = mu_1 + L11 z_1                                  (once, [S, n, m])
//   Y_x = mu_2 + L21 z_1 + L22 z_2,   L21 = S21 L11^-T,   L22 L22^T = S22 - L21 L21^T,
// which is the block Cholesky factor of the joint covariance, so (Y_b, Y_x) is an exact joint
// sample and Y_x is a deterministic, differentiable function of X for fixed (z_1, z_2).
// z_1 [S, n, m] and z_2 [S, q, m] (one set per q, made on first use) are qmc_normal samples.
// The model is a `surrogate` (mobo/concepts.hpp). Internal.
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/qmc_normal.hpp>
#include <autopeft/mobo/concepts.hpp>
#include <autopeft/mobo/model/detail/exact_inference.hpp>
#include <autopeft/mobo/model/jittered_cholesky.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace autopeft::mobo::detail {

template <class Model>
struct baseline_cache_of {
  using type = int;  // the model has no baseline-conditioning shortcut
};
template <class Model>
  requires requires { typename Model::baseline_cache; }
struct baseline_cache_of<Model> {
  using type = typename Model::baseline_cache;
};

template <class Model>
class joint_sampler {
  static_assert(check_surrogate<Model>());

 public:
  joint_sampler(Model model, const torch::Tensor& x_baseline, std::int64_t samples,
                std::uint64_t seed, std::string who)
      : model_(std::move(model)),
        xb_(x_baseline.detach().to(torch::kFloat64)),
        s_(samples),
        seed_(seed),
        who_(std::move(who)),
        z2_(std::make_shared<std::map<std::int64_t, torch::Tensor>>()) {
    if (xb_.dim() != 2)
      throw error(who_ + ": X_baseline must be [n, d], got " + c10::str(xb_.sizes()));
    if (samples < 1) throw error(who_ + ": mc_samples must be >= 1");
    torch::NoGradGuard no_grad;
    const auto n = xb_.size(0);
    m_ = model_.posterior(torch::zeros({1, 1, xb_.size(1)}, torch::kFloat64)).mean.size(-2);
    if (n == 0) {
      yb_ = torch::empty({s_, 0, m_}, torch::kFloat64);
      return;
    }
    torch::Tensor mean;  // [m, n]
    if constexpr (has_baseline_conditional) {
      cache_ = std::make_shared<const typename baseline_cache_of<Model>::type>(
          model_.make_baseline_cache(xb_));
      mean = cache_->mean;
      l11_ = cache_->l11;
    } else {
      const auto post = model_.posterior(xb_);  // mean [m, n], covariance [m, n, n]
      mean = post.mean;
      l11_ = jittered_cholesky(post.covariance, 1e-2, who_ + " (baseline posterior)");
    }
    baseline_variance_ = l11_.pow(2).sum(-1).mean(-1);  // [m]: mean diagonal of L11 L11^T
    z1_ = qmc_normal(s_, n * m_, seed_).view({s_, n, m_});
    yb_ = (mean.unsqueeze(0) + torch::einsum("mij,smj->smi", {l11_, z1_.transpose(1, 2)}))
              .transpose(1, 2)
              .contiguous();
  }

  /// The cached baseline samples [S, n, m].
  [[nodiscard]] const torch::Tensor& baseline_samples() const noexcept { return yb_; }
  [[nodiscard]] const torch::Tensor& x_baseline() const noexcept { return xb_; }
  [[nodiscard]] std::int64_t num_samples() const noexcept { return s_; }
  [[nodiscard]] std::int64_t num_outputs() const noexcept { return m_; }
  [[nodiscard]] const Model& model() const noexcept { return model_; }

  /// X [b, q, d] -> samples [S, b, q, m], consistent with baseline_samples().
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x) const {
    if (x.dim() != 3 || x.size(-1) != xb_.size(1))
      throw error(who_ + ": X must be [b, q, d] with d = " + std::to_string(xb_.size(1)) +
                  ", got " + c10::str(x.sizes()));
    const auto b = x.size(0), q = x.size(1), n = xb_.size(0);
    const auto xd = x.to(torch::kFloat64);
    auto y = torch::Tensor();  // [S, b, m, q]
    torch::Tensor cond;          // [b, m, q, q]: the covariance of f(X) given f(X_b)
    if constexpr (has_baseline_conditional) {
      if (n > 0) {
        auto c = model_.conditional_on_baseline(*cache_, xd);
        y = c.mean.unsqueeze(0) + torch::einsum("bmqn,smn->sbmq", {c.l21, z1_.transpose(1, 2)});
        cond = std::move(c.covariance);
      }
    }
    if (!y.defined()) {
      const auto joint =
          n == 0 ? xd : torch::cat({xb_.unsqueeze(0).expand({b, n, xb_.size(1)}), xd}, 1);
      const auto post = model_.posterior(joint);  // mean [b, m, n + q], cov [b, m, n + q, n + q]
      y = post.mean.narrow(-1, n, q).unsqueeze(0);
      cond = post.covariance.narrow(-2, n, q).narrow(-1, n, q);
      if (n > 0) {
        const auto s21 = post.covariance.narrow(-2, n, q).narrow(-1, 0, n);  // [b, m, q, n]
        const auto l21 = solve_lower_shared(l11_, s21.transpose(-1, -2)).transpose(-1, -2);
        cond = cond - l21.matmul(l21.transpose(-1, -2));
        y = y + torch::einsum("bmqn,smn->sbmq", {l21, z1_.transpose(1, 2)});
      }
    }
    const auto prior_scale =
        (n > 0 ? baseline_variance_ : cond.diagonal(0, -2, -1).mean(-1).detach()).clamp_min(1e-30);
    // A candidate on a baseline point has S22 - L21 L21^T = 0 up to rounding, possibly below:
    // each conditional variance is raised to at least a small absolute floor (relative to the
    // baseline's variance), which keeps the factorisation defined there. The diagonal is
    // replaced, not incremented, so that a large negative rounding error cannot absorb the floor.
    const auto floor = (1e-9 * prior_scale).unsqueeze(-1);  // [m, 1] or [b, m, 1]
    const auto diag = cond.diagonal(0, -2, -1);
    cond = cond - torch::diag_embed(diag) + torch::diag_embed(torch::maximum(diag, floor));
    const auto l22 = jittered_cholesky(cond, 1e-2, who_ + " (candidate posterior)");
    y = y + torch::einsum("bmqk,smk->sbmq", {l22, z2(q).transpose(1, 2)});
    return y.transpose(-1, -2);  // [S, b, q, m]
  }

 private:
  // Models that condition candidates on a cached baseline directly (gp) avoid a posterior over
  // all n + q points per call.
  static constexpr bool has_baseline_conditional =
      requires(const Model& m, const torch::Tensor& x) {
        m.conditional_on_baseline(m.make_baseline_cache(x), x);
      };

  const torch::Tensor& z2(std::int64_t q) const {
    auto it = z2_->find(q);
    if (it == z2_->end())
      it = z2_->emplace(q, qmc_normal(s_, q * m_, seed_ + 0x5DEECE66DULL + static_cast<std::uint64_t>(q))
                               .view({s_, q, m_}))
               .first;
    return it->second;
  }

  Model model_;
  torch::Tensor xb_;
  std::int64_t s_;
  std::uint64_t seed_;
  std::string who_;
  std::int64_t m_ = 0;
  torch::Tensor l11_, z1_, yb_, baseline_variance_;
  std::shared_ptr<const typename baseline_cache_of<Model>::type> cache_;
  // Shared between copies: a cache of the candidate base samples, one tensor per q.
  std::shared_ptr<std::map<std::int64_t, torch::Tensor>> z2_;
};

}  // namespace autopeft::mobo::detail
