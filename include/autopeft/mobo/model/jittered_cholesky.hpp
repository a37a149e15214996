#pragma once
// Cholesky factor of a batch of symmetric PSD matrices, adding jitter to the diagonal when the
// plain factorisation fails, as GPyTorch's psd_safe_cholesky does.
//   A [..., n, n] -> L [..., n, n], lower triangular, L L^T = A + j I
// j = 0 first; then j = c * mean(diag A) for c = 1e-6, 1e-5, ..., max_relative_jitter (per batch
// element, so matrices of different scale get proportionate jitter). If even the largest jitter
// fails, or A holds NaN or infinite entries, it throws autopeft::error with the reason.
// Differentiable through LibTorch autograd.
//
// Example:
//   auto L = jittered_cholesky(K + noise * I);
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <sstream>
#include <string>

namespace autopeft::mobo {

struct jittered_cholesky_fn {
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& a, double max_relative_jitter = 1e-2,
                                         const std::string& where = "jittered_cholesky") const {
    if (a.dim() < 2 || a.size(-1) != a.size(-2))
      throw error(where + ": expected square matrices [..., n, n], got shape " + shape(a));
    if (!torch::isfinite(a).all().item<bool>())
      throw error(where + ": the matrix of shape " + shape(a) +
                  " has NaN or infinite entries; check the inputs and the kernel "
                  "hyperparameters (a diverged fit gives NaN hyperparameters)");
    auto [l, info] = torch::linalg_cholesky_ex(a, /*upper=*/false, /*check_errors=*/false);
    if (info.eq(0).all().item<bool>()) return l;
    const auto n = a.size(-1);
    const auto eye = torch::eye(n, a.options());
    const auto mean_diag = a.diagonal(0, -2, -1).mean(-1).abs().unsqueeze(-1).unsqueeze(-1);
    double c = 1e-6;
    for (; c <= max_relative_jitter * (1 + 1e-9); c *= 10.0) {
      std::tie(l, info) = torch::linalg_cholesky_ex(a + c * mean_diag * eye, false, false);
      if (info.eq(0).all().item<bool>()) return l;
    }
    std::ostringstream msg;
    msg << where << ": the matrix of shape " << shape(a)
        << " is not positive definite even with jitter " << max_relative_jitter
        << " x mean diagonal added to the diagonal. Duplicate inputs with zero noise are "
           "fixed by smaller jitter, so this matrix is indefinite: is the kernel PSD, and are "
           "the noise and hyperparameters positive?";
    throw error(msg.str());
  }

 private:
  static std::string shape(const torch::Tensor& t) {
    std::ostringstream s;
    s << t.sizes();
    return s.str();
  }
};

inline constexpr jittered_cholesky_fn jittered_cholesky{};

}  // namespace autopeft::mobo
