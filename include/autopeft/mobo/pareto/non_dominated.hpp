#pragma once
// Pareto dominance on objective vectors, MAXIMISATION convention (as everywhere in
// autopeft/mobo/pareto): y dominates y' iff y >= y' in every objective and y > y' in at least one.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace autopeft::mobo {

namespace detail {

/// Indices of the non-dominated rows of the row-major `n x m` array `y` (maximisation), in
/// ascending order. Of several identical non-dominated rows only the first (lowest index) is
/// kept; rows with a NaN are never kept. Points are visited in lexicographically decreasing
/// order, so a point can only be weakly dominated by one visited earlier, and only the kept
/// points need to be compared against: O(n log n + n k m) for a front of k points.
inline std::vector<std::size_t> non_dominated_indices(const double* y, std::size_t n,
                                                      std::size_t m) {
  std::vector<std::size_t> order;
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (std::none_of(y + i * m, y + i * m + m, [](double v) { return std::isnan(v); })) {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(y + b * m, y + b * m + m, y + a * m, y + a * m + m);
  });
  std::vector<std::size_t> kept;
  if (m == 2) {  // one sweep: a point survives iff it beats every earlier point's 2nd objective
    double best = 0.0;
    for (std::size_t i : order) {
      if (kept.empty() || y[i * 2 + 1] > best) {
        kept.push_back(i);
        best = y[i * 2 + 1];
      }
    }
  } else {
    for (std::size_t i : order) {
      const double* p = y + i * m;
      bool dominated = false;
      for (std::size_t k : kept) {
        const double* q = y + k * m;
        std::size_t j = 0;
        while (j < m && q[j] >= p[j]) ++j;
        if (j == m) {
          dominated = true;
          break;
        }
      }
      if (!dominated) kept.push_back(i);
    }
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

/// Keeps only the non-dominated rows (as `non_dominated_indices`) of the row-major array `a` of
/// rows of d values, in their order.
inline void keep_non_dominated(std::vector<double>& a, std::size_t d) {
  const auto idx = non_dominated_indices(a.data(), a.size() / d, d);
  std::vector<double> kept(idx.size() * d);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    std::copy_n(a.data() + idx[i] * d, d, kept.data() + i * d);
  }
  a.swap(kept);
}

/// `t` as a contiguous double CPU tensor with at least 2 dimensions, checked for `who`.
inline torch::Tensor as_points(const torch::Tensor& t, const char* who) {
  if (!t.defined() || t.dim() < 2 || !t.is_floating_point() || t.size(-1) == 0) {
    throw error(
        std::string("autopeft::mobo::") + who +
        ": Y must be a floating-point tensor of shape [n, m] (or [..., n, m]) with m >= 1, got " +
        (t.defined()
             ? "shape " + c10::str(t.sizes()) + " of " + std::string(c10::toString(t.scalar_type()))
             : std::string("an undefined tensor")));
  }
  return t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
}

}  // namespace detail

/// Pareto mask of the rows of Y ([n, m] or batched [..., n, m], any floating dtype and device):
/// returns a bool tensor [n] (or [..., n]) on Y's device, true where the row is not dominated
/// by any other row (maximisation). Duplicates: of several identical non-dominated rows, only
/// the first (lowest index) is marked, as BoTorch's `is_non_dominated(deduplicate=True)`.
/// Rows with a NaN are never marked and do not dominate anything.
/// Cost: O(n log n) for m = 2, O(n k m) otherwise (k = size of the front).
inline torch::Tensor is_non_dominated(const torch::Tensor& Y) {
  auto y = detail::as_points(Y, "is_non_dominated");
  const auto n = static_cast<std::size_t>(y.size(-2));
  const auto m = static_cast<std::size_t>(y.size(-1));
  const auto batches = n == 0 ? std::size_t{0} : static_cast<std::size_t>(y.numel()) / (n * m);
  auto mask = torch::zeros(y.sizes().slice(0, y.dim() - 1), torch::kBool);
  auto* out = mask.data_ptr<bool>();
  const double* data = y.data_ptr<double>();
  for (std::size_t b = 0; b < batches; ++b) {
    for (std::size_t i : detail::non_dominated_indices(data + b * n * m, n, m)) {
      out[b * n + i] = true;
    }
  }
  return mask.to(Y.device());
}

/// Non-dominated sorting of the rows of Y [n, m] (maximisation): returns an int64 tensor [n] of
/// front ranks, 0 for the Pareto front, 1 for the front of what remains, and so on (Deb et al.,
/// "A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEVC 2002). Identical
/// rows share a rank (neither dominates the other), so `is_non_dominated(Y)` marks a subset of
/// `rank == 0` and equals it when Y has no duplicate front points.
/// A point's rank is 1 + the largest rank of the points dominating it; these all come before it
/// in lexicographically decreasing order, which gives the ranks in one pass: O(n^2 m) worst case.
inline torch::Tensor non_dominated_sort(const torch::Tensor& Y) {
  auto y = detail::as_points(Y, "non_dominated_sort");
  if (y.dim() != 2) {
    throw error("autopeft::mobo::non_dominated_sort: Y must be [n, m], got " +
                std::to_string(y.dim()) + " dimensions; loop over the batch");
  }
  const auto n = static_cast<std::size_t>(y.size(0));
  const auto m = static_cast<std::size_t>(y.size(1));
  const double* d = y.data_ptr<double>();
  for (std::size_t i = 0; i < n * m; ++i) {
    if (std::isnan(d[i])) {
      throw error("autopeft::mobo::non_dominated_sort: Y has a NaN in row " +
                  std::to_string(i / m) + "; drop or impute failed evaluations first");
    }
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(d + b * m, d + b * m + m, d + a * m, d + a * m + m);
  });
  auto ranks = torch::zeros({static_cast<std::int64_t>(n)}, torch::kInt64);
  auto* r = ranks.data_ptr<std::int64_t>();
  for (std::size_t t = 0; t < n; ++t) {
    const double* p = d + order[t] * m;
    std::int64_t rank = 0;
    for (std::size_t s = 0; s < t; ++s) {
      const double* q = d + order[s] * m;
      if (r[order[s]] + 1 <= rank) continue;
      bool geq = true, gt = false;
      for (std::size_t j = 0; j < m && geq; ++j) {
        geq = q[j] >= p[j];
        gt = gt || q[j] > p[j];
      }
      if (geq && gt) rank = r[order[s]] + 1;
    }
    r[order[t]] = rank;
  }
  return ranks.to(Y.device());
}

}  // namespace autopeft::mobo
