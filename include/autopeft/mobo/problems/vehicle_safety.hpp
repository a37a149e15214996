#pragma once
#include <autopeft/mobo/problems/detail/checks.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::mobo {

/// VehicleSafety: vehicle crashworthiness design (Liao et al., Struct. Multidiscip. Optim. 2008;
/// problem RE3-5-4 of Tanabe & Ishibuchi, Applied Soft Computing 2020). 5 thicknesses in
/// [1, 3]^5, 3 objectives to MINIMISE, fitted response surfaces:
///   f0 (mass)  = 1640.2823 + 2.3573285 x0 + 2.3220035 x1 + 4.5688768 x2 + 7.7213633 x3 + 4.4559504
///   x4 f1 (A_in)  = 6.5856 + 1.15 x0 - 1.0427 x1 + 0.9738 x2 + 0.8364 x3 - 0.3695 x0 x3 + 0.0861
///   x0 x4
///                + 0.3628 x1 x3 - 0.1106 x0^2 - 0.3437 x2^2 + 0.1764 x3^2
///   f2 (intrusion) = -0.0551 + 0.0181 x0 + 0.1024 x1 + 0.0421 x2 - 0.0073 x0 x1 + 0.024 x1 x2
///                - 0.0118 x1 x3 - 0.0204 x2 x3 - 0.008 x2 x4 - 0.0241 x1^2 + 0.0109 x3^2
/// Reference point (1.1 x the nadir of Tanabe's approximate front) and max_hv (from that front)
/// as BoTorch: [1864.72022, 11.81993945, 0.2903999384], 246.81607081187002.
struct VehicleSafety {
  static constexpr std::int64_t dim = 5;
  static constexpr std::int64_t num_objectives = 3;

  [[nodiscard]] torch::Tensor bounds() const {
    return torch::stack(
        {torch::full({dim}, 1.0, torch::kFloat64), torch::full({dim}, 3.0, torch::kFloat64)});
  }
  /// X [..., 5] -> [..., 3].
  [[nodiscard]] torch::Tensor evaluate(const torch::Tensor& X) const {
    detail::check_inputs(X, dim, "VehicleSafety");
    auto x0 = X.select(-1, 0), x1 = X.select(-1, 1), x2 = X.select(-1, 2), x3 = X.select(-1, 3),
         x4 = X.select(-1, 4);
    auto f0 = 1640.2823 + 2.3573285 * x0 + 2.3220035 * x1 + 4.5688768 * x2 + 7.7213633 * x3 +
              4.4559504 * x4;
    auto f1 = 6.5856 + 1.15 * x0 - 1.0427 * x1 + 0.9738 * x2 + 0.8364 * x3 - 0.3695 * x0 * x3 +
              0.0861 * x0 * x4 + 0.3628 * x1 * x3 - 0.1106 * x0 * x0 - 0.3437 * x2 * x2 +
              0.1764 * x3 * x3;
    auto f2 = -0.0551 + 0.0181 * x0 + 0.1024 * x1 + 0.0421 * x2 - 0.0073 * x0 * x1 +
              0.024 * x1 * x2 - 0.0118 * x1 * x3 - 0.0204 * x2 * x3 - 0.008 * x2 * x4 -
              0.0241 * x1 * x1 + 0.0109 * x3 * x3;
    return torch::stack({f0, f1, f2}, -1);
  }
  [[nodiscard]] torch::Tensor ref_point() const {
    return torch::tensor({1864.72022, 11.81993945, 0.2903999384}, torch::kFloat64);
  }
  [[nodiscard]] double max_hv() const { return 246.81607081187002; }
};

}  // namespace autopeft::mobo
