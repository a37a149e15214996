#pragma once
// Analytic expected hypervolume improvement of one point (q = 1), MAXIMISATION, for independent
// Gaussian objectives (Yang, Emmerich, Deutz & Baeck, "Efficient computation of expected
// hypervolume improvement using box decomposition algorithms", J. Global Optim. 2019):
// with the cells [l_c, u_c] of the region not dominated by the front (non_dominated_partitioning),
//   HVI(y) = sum_c prod_j max(0, min(y_j, u_cj) - l_cj),
// and since each factor depends on one objective only,
//   EHVI(x) = sum_c prod_j psi(l_cj, u_cj; mu_j, sigma_j),
//   psi(l, u; mu, sigma) = E[max(0, min(Y, u) - l)] = integral_l^u P(Y > t) dt
//                        = sigma (F(z_u) - F(z_l)),   z = (t - mu) / sigma,
//   F(z) = z (1 - Phi(z)) - phi(z)   (F(+inf) = 0),
// with mu, sigma the posterior mean and standard deviation at x. Exact for any number of
// objectives (the cells grow quickly beyond 3); the classical use, as in BoTorch, is m = 2.
// X [b, 1, d] -> [b], differentiable with respect to X.
//
// Example:
//   expected_hypervolume_improvement ehvi(model, ref, Y_front);   // Y_front [n, m], maximised
//   auto v = ehvi(X.unsqueeze(1));
#include <autopeft/error.hpp>
#include <autopeft/mobo/pareto/box_decomposition.hpp>

#include <torch/torch.h>

#include <cmath>
#include <numbers>
#include <string>
#include <utility>

namespace autopeft::mobo {

template <class Model>
class expected_hypervolume_improvement {
 public:
  /// Y [n, m]: the observed (maximised) outcomes whose front is improved upon; ref [m].
  expected_hypervolume_improvement(Model model, const torch::Tensor& ref_point,
                                   const torch::Tensor& Y)
      : model_(std::move(model)),
        cells_(non_dominated_partitioning(Y.detach().to(torch::kFloat64),
                                          ref_point.detach().to(torch::kFloat64))) {}

  /// X [b, 1, d] -> [b].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& X) const {
    if (X.dim() != 3 || X.size(1) != 1)
      throw error("expected_hypervolume_improvement: X must be [b, 1, d] (analytic EHVI is for "
                  "q = 1; use qnehvi for batches), got " + c10::str(X.sizes()));
    const auto post = model_.posterior(X);  // mean [b, m, 1]
    const auto mu = post.mean.squeeze(-1).unsqueeze(1);  // [b, 1, m]
    const auto sigma = post.variance().squeeze(-1).clamp_min(1e-18).sqrt().unsqueeze(1);
    const auto lower = cells_[0].unsqueeze(0), upper = cells_[1].unsqueeze(0);  // [1, C, m]
    const auto finite = torch::isfinite(upper);
    const auto upper_safe = torch::where(finite, upper, torch::zeros_like(upper));
    const auto z_l = (lower - mu) / sigma;
    const auto z_u = (upper_safe - mu) / sigma;
    const auto psi = sigma * (torch::where(finite, F(z_u), torch::zeros_like(z_u)) - F(z_l));
    return psi.prod(-1).sum(-1);
  }

  [[nodiscard]] const torch::Tensor& cells() const noexcept { return cells_; }

 private:
  static torch::Tensor F(const torch::Tensor& z) {
    const auto upper_tail = 0.5 * torch::erfc(z / std::numbers::sqrt2);
    const auto pdf = torch::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
    return z * upper_tail - pdf;
  }

  Model model_;
  torch::Tensor cells_;  // [2, C, m]
};

}  // namespace autopeft::mobo
