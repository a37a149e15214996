#pragma once
// Pairwise distances shared by the kernels. Internal.
#include <autopeft/mobo/detail/shared_batch.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace autopeft::mobo::detail {

/// Squared Euclidean distances between the rows of a [..., n, d] and b [..., p, d]: [..., n, p].
/// Uses |a|^2 + |b|^2 - 2 a.b (one matmul, O(npd) time and O(np) memory) after shifting both by
/// the mean of b, which keeps the cancellation error small. `same` (a and b are one tensor)
/// makes the diagonal exactly 0, so that K(X, X) has an exact unit diagonal and the gradient of
/// sqrt at 0 is never taken.
inline torch::Tensor squared_distance(const torch::Tensor& a, const torch::Tensor& b, bool same) {
  // Centre on b, the second argument (the training or baseline inputs when a model queries
  // candidate sets), so that the shift and b's norms are computed once per call, and so that a
  // batched query gives exactly the values of the same query unbatched.
  const auto centre = b.mean(-2, /*keepdim=*/true);
  const auto ac = a - centre;
  const auto bc = same ? ac : b - centre;
  const auto norms = ac.pow(2).sum(-1, true) + bc.pow(2).sum(-1).unsqueeze(-2);
  auto sq = norms - 2.0 * matmul_shared(ac, bc.transpose(-1, -2));
  // A value within the rounding error of the expansion is a coincident pair: exactly 0, so that
  // sqrt (Matern) does not magnify the rounding, and every evaluation order agrees.
  const double eps = std::numeric_limits<double>::epsilon();
  sq = torch::where(sq <= 8.0 * eps * norms, torch::zeros_like(sq), sq);
  if (same) {
    const auto n = sq.size(-1);
    sq = sq.masked_fill(torch::eye(n, sq.options().dtype(torch::kBool)), 0.0);
  }
  return sq;
}

/// sqrt with a zero (not infinite) gradient at 0.
inline torch::Tensor safe_sqrt(const torch::Tensor& sq) { return sq.clamp_min(1e-30).sqrt(); }

/// Weighted count of differing coordinates, sum_i w_i [a_i != b_i]: [..., n, p]. Coordinates
/// more than 1e-6 apart count as different categories. w broadcasts as [..., 1, d].
/// Memory O(npd): categorical dimensions are few.
inline torch::Tensor weighted_mismatch(const torch::Tensor& a, const torch::Tensor& b,
                                       const torch::Tensor& w) {
  const auto differ = (a.unsqueeze(-2) - b.unsqueeze(-3)).abs().gt(1e-6).to(w.scalar_type());
  return (differ * w.unsqueeze(-2)).sum(-1);
}

/// batch_shape followed by tail.
inline std::vector<std::int64_t> concat_shape(std::vector<std::int64_t> batch,
                                              const std::vector<std::int64_t>& tail) {
  batch.insert(batch.end(), tail.begin(), tail.end());
  return batch;
}

/// Append "." and each hyperparameter name to a prefix, for combinators.
template <class Hyperparameters>
void append_prefixed(Hyperparameters& out, const Hyperparameters& in, const std::string& prefix) {
  for (auto h : in) {
    h.name = prefix + "." + h.name;
    out.push_back(std::move(h));
  }
}

/// Append trailing singleton dims to a [*B] tensor so it scales a [*B, n, p] kernel matrix.
inline torch::Tensor as_matrix_scale(const torch::Tensor& v) {
  return v.unsqueeze(-1).unsqueeze(-1);
}

}  // namespace autopeft::mobo::detail
