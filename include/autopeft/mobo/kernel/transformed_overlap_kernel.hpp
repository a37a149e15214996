#pragma once
// Transformed overlap kernel of CoCaBO (Ru, Alvi, Nguyen, Osborne & Roberts, "Bayesian
// Optimisation over Multiple Continuous and Categorical Inputs", ICML 2020) and Casmopolitan
// (Wan, Nguyen, Ha, Ru, Lu & Osborne, "Think Global and Act Local", ICML 2021), whose authors
// include the AutoPEFT authors. Over d categorical dimensions with lengthscales l_i:
//   k(x, y) = exp(-(1/d) sum_i [x_i != y_i] / l_i)
// Casmopolitan writes it as exp((1/d) sum_i [x_i = y_i] / l_i); ours divides that by its value
// at x = y, exp((1/d) sum_i 1/l_i), so that k(x, x) = 1 and the scale lives in an outputscale.
// The 1/d averaging keeps the kernel's range independent of the number of dimensions, which is
// what distinguishes it from hamming_kernel. PSD as a product of PSD factors. Inputs are
// category codes (values more than 1e-6 apart differ); the input gradient is 0.
// Lengthscale l = exp(raw), [*B, 1, d].
#include <autopeft/mobo/hyperparameter.hpp>
#include <autopeft/mobo/kernel/ard_options.hpp>
#include <autopeft/mobo/kernel/detail/ard_lengthscale.hpp>
#include <autopeft/mobo/kernel/detail/distance.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::mobo {

class transformed_overlap_kernel {
 public:
  explicit transformed_overlap_kernel(const ard_options& o = {})
      : ls_(o, "transformed_overlap_kernel"), d_(o.ard_num_dims) {}

  /// x1 [..., n, d], x2 [..., p, d] -> [..., n, p].
  [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x1, const torch::Tensor& x2) const {
    const auto w = ls_.value().reciprocal() / static_cast<double>(d_);
    return torch::exp(-detail::weighted_mismatch(x1, x2, w));
  }

  [[nodiscard]] std::vector<hyperparameter> hyperparameters() const { return {ls_.h}; }
  [[nodiscard]] torch::Tensor log_prior() const { return ls_.log_prior(); }
  [[nodiscard]] torch::Tensor lengthscale() const { return ls_.value(); }

 private:
  detail::ard_lengthscale ls_;
  std::int64_t d_;
};

}  // namespace autopeft::mobo
