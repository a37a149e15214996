#pragma once
// Reparametrised samples from a multivariate_normal posterior:
//   Y = mean + L z,   L L^T = covariance (jittered_cholesky),   z = base samples
// Shapes: posterior mean [*P, m, n]; base_samples [S, *Q, n, m] with *Q broadcastable against
// *P (usually empty: [S, n, m]) -> samples [S, *broadcast(Q, P), n, m], objectives last, as
// BoTorch's posterior samples are. Fixed base samples (e.g. scrambled Sobol normals for qNEHVI)
// make Y a deterministic, differentiable function of the posterior, hence of the query points X
// (Wilson, Hutter & Deisenroth, "Maximizing acquisition functions for Bayesian optimization",
// NeurIPS 2018).
//
// Example:
//   auto post = model.posterior(X);                        // mean [m, n]
//   auto z = torch::randn({128, n, m}, torch::kFloat64);
//   auto Y = rsample(post, z);                             // [128, n, m]
#include <autopeft/error.hpp>
#include <autopeft/mobo/model/jittered_cholesky.hpp>
#include <autopeft/mobo/model/multivariate_normal.hpp>

#include <torch/torch.h>

#include <sstream>

namespace autopeft::mobo {

struct rsample_fn {
  [[nodiscard]] torch::Tensor operator()(const multivariate_normal& posterior,
                                         const torch::Tensor& base_samples) const {
    const auto& mean = posterior.mean;
    const auto m = mean.size(-2), n = mean.size(-1);
    if (base_samples.dim() < 3 || base_samples.size(-2) != n || base_samples.size(-1) != m) {
      std::ostringstream s;
      s << "rsample: base_samples has shape " << base_samples.sizes() << "; expected [S, ..., " << n
        << ", " << m << "] (samples, query points, objectives) for a posterior with mean "
        << mean.sizes();
      throw error(s.str());
    }
    const auto l = jittered_cholesky(posterior.covariance, 1e-2, "rsample");
    // [S, *Q, n, m] -> [S, *Q, m, n, 1], with singleton dims so that *Q lines up with *P.
    auto z = base_samples.transpose(-1, -2).unsqueeze(-1);
    const auto missing = (mean.dim() - 2) - (base_samples.dim() - 3);
    for (int64_t i = 0; i < missing; ++i) z = z.unsqueeze(1);
    const auto y = mean.unsqueeze(-1) + l.matmul(z);  // [S, ..., m, n, 1]
    return y.squeeze(-1).transpose(-1, -2);
  }
};

inline constexpr rsample_fn rsample{};

}  // namespace autopeft::mobo
