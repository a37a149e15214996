#pragma once
// Multi-start bounded L-BFGS for continuous inputs, MAXIMISATION (in the manner of BoTorch's
// optimize_acqf with gen_candidates_scipy):
//   1. raw_samples quasi-random points in the box (qmc_uniform) and the given starts are scored
//      in one call; the num_restarts best become starts;
//   2. all starts are optimised together, minimising -sum_r acq(x_r) (the candidate sets are
//      independent, so the sum's gradient is each one's own), with torch::optim::LBFGS and a
//      strong Wolfe line search, through the sigmoid reparametrisation
//        x = lower + (upper - lower) sigmoid(theta),
//      so every iterate lies in the box (strictly inside; the result is clamped to it too);
//   3. the best end point is returned, [1, d].
// Gradients come from autograd through the acquisition (which must be differentiable in X).
//
// Example:
//   multi_start_lbfgs opt(torch::stack({torch::zeros({d}), torch::ones({d})}).to(torch::kFloat64),
//                         {.num_restarts = 10, .raw_samples = 256});
//   auto x = opt(acq);   // [1, d]
#include <autopeft/error.hpp>
#include <autopeft/mobo/acquisition/qmc_normal.hpp>
#include <autopeft/mobo/concepts.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

namespace autopeft::mobo {

struct multi_start_lbfgs_options {
  std::int64_t num_restarts = 10;
  std::int64_t raw_samples = 256;
  std::int64_t max_iter = 100;  // L-BFGS iterations
  torch::Tensor starts = {};         // [k, d] extra candidates for step 1
  std::uint64_t seed = 0;
};

class multi_start_lbfgs {
 public:
  /// bounds [2, d]: lower row, upper row.
  explicit multi_start_lbfgs(const torch::Tensor& bounds, multi_start_lbfgs_options o = {})
      : lower_(bounds.detach().to(torch::kFloat64)[0]),
        width_(bounds.detach().to(torch::kFloat64)[1] - bounds.detach().to(torch::kFloat64)[0]),
        o_(std::move(o)) {
    if (bounds.dim() != 2 || bounds.size(0) != 2 || !(width_ > 0).all().item<bool>())
      throw error("multi_start_lbfgs: bounds must be [2, d] with upper > lower, got " +
                  c10::str(bounds.sizes()));
    if (o_.num_restarts < 1 || o_.raw_samples < 1)
      throw error("multi_start_lbfgs: num_restarts and raw_samples must be >= 1");
  }

  template <class A>
  [[nodiscard]] torch::Tensor operator()(const A& acq) const {
    static_assert(detail::check_acquisition<A>());
    const auto d = lower_.size(0);
    torch::Tensor x0;
    {
      torch::NoGradGuard no_grad;
      auto raw = lower_ + width_ * qmc_uniform(o_.raw_samples, d, o_.seed);
      if (o_.starts.defined() && o_.starts.numel() > 0)
        raw = torch::cat({o_.starts.to(torch::kFloat64).view({-1, d}), raw});
      const torch::Tensor v = torch::nan_to_num(acq(raw.unsqueeze(1)).to(torch::kFloat64),
                                 -std::numeric_limits<double>::infinity());
      const auto k = std::min<std::int64_t>(o_.num_restarts, raw.size(0));
      x0 = raw.index_select(0, std::get<1>(v.topk(k)));
    }
    const auto u0 = ((x0 - lower_) / width_).clamp(1e-6, 1.0 - 1e-6);
    auto theta = torch::log(u0 / (1.0 - u0)).unsqueeze(1).detach().requires_grad_(true);
    auto to_x = [&](const torch::Tensor& t) { return lower_ + width_ * torch::sigmoid(t); };
    torch::optim::LBFGS opt({theta}, torch::optim::LBFGSOptions(1.0)
                                         .max_iter(o_.max_iter)
                                         .tolerance_grad(1e-9)
                                         .tolerance_change(1e-12)
                                         .line_search_fn("strong_wolfe"));
    try {
      opt.step([&] {
        opt.zero_grad();
        auto loss = -acq(to_x(theta)).sum();
        loss.backward();
        return loss;
      });
    } catch (const std::exception&) {
      // A failed line search leaves theta at its last accepted iterate; keep it.
    }
    torch::NoGradGuard no_grad;
    auto x = torch::min(torch::max(to_x(theta.detach()), lower_), lower_ + width_);  // [k, 1, d]
    auto xs = torch::cat({x, x0.unsqueeze(1)});  // never worse than the best start
    const torch::Tensor v = torch::nan_to_num(acq(xs).to(torch::kFloat64),
                               -std::numeric_limits<double>::infinity());
    return xs[v.argmax().item<std::int64_t>()];
  }

 private:
  torch::Tensor lower_, width_;
  multi_start_lbfgs_options o_;
};

}  // namespace autopeft::mobo
