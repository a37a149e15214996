#pragma once
// Row utilities of the optimisers. Internal.
#include <torch/torch.h>

namespace autopeft::mobo::detail {

/// Whether x [d] equals a row of rows [k, d] (undefined or empty: no) within tol.
inline bool is_row_of(const torch::Tensor& x, const torch::Tensor& rows, double tol = 1e-9) {
  if (!rows.defined() || rows.numel() == 0) return false;
  return ((rows - x).abs().amax(-1) <= tol).any().item<bool>();
}

/// For each row of x [k, d], whether it equals a row of rows [a, d] within tol: bool [k].
inline torch::Tensor rows_in(const torch::Tensor& x, const torch::Tensor& rows, double tol = 1e-9) {
  if (!rows.defined() || rows.numel() == 0) return torch::zeros({x.size(0)}, torch::kBool);
  return ((x.unsqueeze(1) - rows.to(x.dtype()).unsqueeze(0)).abs().amax(-1) <= tol).any(-1);
}

/// rows [k, d] followed by more [j, d]; either may be undefined.
inline torch::Tensor append_rows(const torch::Tensor& rows, const torch::Tensor& more) {
  if (!rows.defined() || rows.numel() == 0) return more.detach().to(torch::kFloat64);
  if (!more.defined() || more.numel() == 0) return rows;
  return torch::cat({rows, more.detach().to(torch::kFloat64).view({-1, rows.size(-1)})});
}

}  // namespace autopeft::mobo::detail
