#pragma once
// Batched linear algebra against one matrix per model batch, shared by every leading batch of the
// other operand (candidate sets against a GP's training data). Folding the leading dims into the
// rows or columns makes each model batch one BLAS-3 call; LibTorch's broadcasting would instead
// expand (and copy) the shared matrix once per leading batch. Internal.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace autopeft::mobo::detail {

/// Solves L X = R for a lower-triangular L [*B, n, n] shared by every leading batch of
/// R [..., *B, n, k]. The leading dims are folded into the columns, so LAPACK solves once per
/// *B against one L (linalg_solve_triangular would broadcast L and pack a copy per batch).
inline torch::Tensor solve_lower_shared(const torch::Tensor& l, const torch::Tensor& r) {
  const auto extra = r.dim() - l.dim();
  if (extra <= 0) return torch::linalg_solve_triangular(l, r, false, true, false);
  for (std::int64_t i = 0; i < l.dim() - 2; ++i)
    if (l.size(i) != r.size(extra + i) && r.size(extra + i) != 1)
      return torch::linalg_solve_triangular(l, r, false, true, false);
  auto shape = r.sizes().vec();
  for (std::int64_t i = 0; i < l.dim() - 2; ++i) shape[extra + i] = l.size(i);
  const auto rx = r.expand(shape);
  std::vector<std::int64_t> perm, inverse(shape.size());
  for (std::int64_t i = extra; i < rx.dim(); ++i) perm.push_back(i);
  for (std::int64_t i = 0; i < extra; ++i) perm.push_back(i);
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<std::int64_t>(i);
  const auto moved = rx.permute(perm);  // [*B, n, k, ...]
  auto folded_shape = l.sizes().vec();
  folded_shape.back() = -1;
  const auto x = torch::linalg_solve_triangular(l, moved.reshape(folded_shape), false, true, false);
  return x.view(moved.sizes()).permute(inverse);
}

/// A [..., *B, r, k] times W [*B, k, c] -> [..., *B, r, c], with the leading dims folded into
/// the rows so that each *B is one matrix product (a broadcast matmul would copy W per batch).
inline torch::Tensor matmul_shared(const torch::Tensor& a, const torch::Tensor& w) {
  const auto extra = a.dim() - w.dim();
  if (extra <= 0) return a.matmul(w);
  for (std::int64_t i = 0; i < w.dim() - 2; ++i)
    if (w.size(i) != a.size(extra + i) && a.size(extra + i) != 1) return a.matmul(w);
  auto shape = a.sizes().vec();
  for (std::int64_t i = 0; i < w.dim() - 2; ++i) shape[extra + i] = w.size(i);
  const auto ax = a.expand(shape);
  // [..., *B, r, k] -> [*B, ..., r, k] -> [*B, (... r), k]
  std::vector<std::int64_t> perm, inverse(shape.size());
  for (std::int64_t i = extra; i < ax.dim() - 2; ++i) perm.push_back(i);
  for (std::int64_t i = 0; i < extra; ++i) perm.push_back(i);
  perm.push_back(ax.dim() - 2);
  perm.push_back(ax.dim() - 1);
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<std::int64_t>(i);
  const auto moved = ax.permute(perm);
  auto folded = w.sizes().vec();
  folded[folded.size() - 2] = -1;
  folded.back() = a.size(-1);
  const auto out = moved.reshape(folded).matmul(w);  // [*B, (... r), c]
  auto out_shape = moved.sizes().vec();
  out_shape.back() = w.size(-1);
  return out.view(out_shape).permute(inverse);
}

}  // namespace autopeft::mobo::detail
