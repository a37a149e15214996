#pragma once
// What ZDT1-3 share (Zitzler, Deb & Thiele, "Comparison of multiobjective evolutionary
// algorithms: empirical results", Evolutionary Computation 8(2), 2000).
#include <autopeft/error.hpp>
#include <autopeft/mobo/problems/detail/checks.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace autopeft::mobo::detail {

inline std::int64_t zdt_dim(std::int64_t dim, const char* problem) {
  if (dim < 2) {
    throw error(std::string("autopeft::mobo::") + problem + ": dim must be >= 2, got " +
                std::to_string(dim));
  }
  return dim;
}

/// g(x) = 1 + 9 / (d - 1) * sum_{i>=1} x_i: 1 exactly on the Pareto set (x_i = 0, i >= 1).
inline torch::Tensor zdt_g(const torch::Tensor& X) {
  return 1 + 9 * X.narrow(-1, 1, X.size(-1) - 1).mean(-1);
}

inline torch::Tensor zdt_ref_point() { return torch::tensor({11.0, 11.0}, torch::kFloat64); }

}  // namespace autopeft::mobo::detail
