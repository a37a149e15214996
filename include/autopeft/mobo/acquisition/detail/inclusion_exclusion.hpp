#pragma once
// Hypervolume improvement of q points over box cells by the inclusion-exclusion principle
// (Daulton, Balandat & Bakshy, "Differentiable expected hypervolume improvement for parallel
// multi-objective Bayesian optimization", NeurIPS 2020, eq. 4): for cells [l_c, u_c] that
// partition the region not dominated by the front (maximisation),
//   HVI(y_1..y_q) = sum_{T subset {1..q}, T != {}} (-1)^(|T|+1) sum_c
//                   prod_j max(0, min(min_{i in T} y_ij, u_cj) - l_cj),
// the volume of the union of the boxes [ref, y_i] outside the dominated region. Internal.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace autopeft::mobo::detail {

/// The subsets of {0..q-1} of size k, as an int64 tensor [C(q, k), k].
inline torch::Tensor subsets_of_size(std::int64_t q, std::int64_t k) {
  std::vector<std::int64_t> flat, current;
  std::function<void(std::int64_t)> walk = [&](std::int64_t next) {
    if (static_cast<std::int64_t>(current.size()) == k) {
      flat.insert(flat.end(), current.begin(), current.end());
      return;
    }
    for (std::int64_t i = next; i < q; ++i) {
      current.push_back(i);
      walk(i + 1);
      current.pop_back();
    }
  };
  walk(0);
  return torch::tensor(flat, torch::kInt64).view({-1, k});
}

/// y [S, b, q, m] -> [S, b, C(q, k), k, m]: the points of every subset of size k.
inline torch::Tensor subset_points(const torch::Tensor& y, std::int64_t k) {
  const auto idx = subsets_of_size(y.size(2), k);
  return y.index_select(2, idx.flatten())
      .view({y.size(0), y.size(1), idx.size(0), k, y.size(-1)});
}

/// cells [2, S, C, m] (one decomposition per sample, padded cells empty), y [S, b, q, m]
/// -> HVI per sample and candidate set [S, b].
inline torch::Tensor hvi_inclusion_exclusion(const torch::Tensor& cells, const torch::Tensor& y) {
  const auto lower = cells[0].unsqueeze(1).unsqueeze(2);  // [S, 1, 1, C, m]
  const auto upper = cells[1].unsqueeze(1).unsqueeze(2);
  auto total = torch::zeros({y.size(0), y.size(1)}, y.options());
  for (std::int64_t k = 1; k <= y.size(2); ++k) {
    const auto corner = subset_points(y, k).amin(3).unsqueeze(3);  // [S, b, nc, 1, m]
    const auto side = (torch::minimum(corner, upper) - lower).clamp_min(0.0);
    const auto volume = side.prod(-1).sum({-1, -2});  // [S, b]
    total = k % 2 == 1 ? total + volume : total - volume;
  }
  return total;
}

// log(1 - exp(x)) for x <= 0, accurate on both sides of -log 2 (Maechler 2012).
inline torch::Tensor log1mexp(const torch::Tensor& x) {
  const auto near = x > -std::log(2.0);
  const auto x_near = torch::where(near, x, torch::full_like(x, -1.0));
  const auto x_far = torch::where(near, torch::full_like(x, -1.0), x);
  return torch::where(near, torch::log(-torch::expm1(x_near)), torch::log1p(-torch::exp(x_far)));
}

// log(tau * softplus(x / tau)): a smooth max(0, x) in log space, log-linear (never -inf, with a
// non-vanishing gradient) for x << 0.
inline torch::Tensor log_soft_relu(const torch::Tensor& x, double tau) {
  const auto t = x / tau;
  const auto low = t < -30.0;
  const auto t_safe = torch::where(low, torch::full_like(t, -30.0), t);
  return std::log(tau) + torch::where(low, t, torch::log(torch::softplus(t_safe)));
}

// -tau log sum_i exp(-x_i / tau) over `dim`: a smooth minimum, below the true one by at most
// tau log(count).
inline torch::Tensor soft_min(const torch::Tensor& x, std::int64_t dim, double tau) {
  return -tau * torch::logsumexp(-x / tau, dim);
}

/// The log-space version: log HVI per sample [S, b], with the minima smoothed (soft_min, tau_max)
/// and the clamp max(0, .) smoothed (log_soft_relu, tau_relu); `valid` [S, C] masks padded cells.
inline torch::Tensor log_hvi_inclusion_exclusion(const torch::Tensor& cells,
                                                 const torch::Tensor& valid, const torch::Tensor& y,
                                                 double tau_max, double tau_relu) {
  const auto lower = cells[0].unsqueeze(1).unsqueeze(2);  // [S, 1, 1, C, m]
  const auto upper = cells[1].unsqueeze(1).unsqueeze(2);
  const auto finite_upper = torch::isfinite(upper);
  const auto upper_safe = torch::where(finite_upper, upper, torch::zeros_like(upper));
  const auto mask = torch::where(valid, torch::zeros_like(cells[0].select(-1, 0)),
                                 torch::full_like(cells[0].select(-1, 0),
                                                  -std::numeric_limits<double>::infinity()))
                        .unsqueeze(1)
                        .unsqueeze(2);  // [S, 1, 1, C]
  std::vector<torch::Tensor> odd, even;
  for (std::int64_t k = 1; k <= y.size(2); ++k) {
    const auto pts = subset_points(y, k);  // [S, b, nc, k, m]
    const auto corner = (k == 1 ? pts.squeeze(3) : soft_min(pts, 3, tau_max)).unsqueeze(3);
    // min(corner, u) smoothed, where u is finite; corner itself where u = +inf.
    // min(corner, u) smoothed where u is finite; the corner itself where u = +inf.
    std::vector<std::int64_t> shape(corner.sizes().begin(), corner.sizes().end());
    shape[3] = upper.size(3);
    const auto c = corner.expand(shape), u = upper_safe.expand(shape);
    const auto capped =
        torch::where(finite_upper, soft_min(torch::stack({c, u}, 0), 0, tau_max), c);
    const auto log_volume = log_soft_relu(capped - lower, tau_relu).sum(-1) + mask;  // [S,b,nc,C]
    (k % 2 == 1 ? odd : even).push_back(log_volume.flatten(2).logsumexp(-1));       // [S, b]
  }
  const auto log_odd = torch::stack(odd, 0).logsumexp(0);
  if (even.empty()) return log_odd;
  const auto log_even = torch::stack(even, 0).logsumexp(0);
  // Smoothing may make the even terms reach the odd ones where the exact HVI is ~0; the cap
  // keeps the log finite there (about log_odd - 23).
  return log_odd + log1mexp((log_even - log_odd).clamp_max(-1e-10));
}

}  // namespace autopeft::mobo::detail
