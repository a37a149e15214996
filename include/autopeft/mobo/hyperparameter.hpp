#pragma once
// A hyperparameter of a kernel or likelihood: a raw, unconstrained tensor that autograd optimises
// (MAP) or samples (NUTS), and the map from it to the constrained value the formulas use.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace autopeft::mobo {

/// How a raw tensor becomes a value:
///  - `positive`:      value = lower_bound + exp(raw)  (lengthscales, scales, noise)
///  - `unit_interval`: value = sigmoid(raw)            (mixture weights)
///
/// Why exp and not GPyTorch's softplus: raw is then exactly the log-hyperparameter that the
/// fully Bayesian models sample with NUTS (as the AutoPEFT reference does through Pyro), and the
/// log-Jacobian of the map is raw itself. Near a MAP optimum the two parametrisations agree.
enum class constraint { positive, unit_interval };

/// A named handle on a raw tensor owned by a kernel or model. Copies share the tensor (it is a
/// torch::Tensor), so writing into `raw` changes the owner's hyperparameter: that is how
/// optimisers and samplers reach a kernel's parameters without knowing its type.
///
/// Shape conventions: a kernel with batch shape B stores an ARD lengthscale as [*B, 1, d] and a
/// scalar hyperparameter (outputscale, variance, weight) as [*B].
struct hyperparameter {
  std::string name;
  torch::Tensor raw;
  constraint kind = constraint::positive;
  double lower_bound = 0.0;

  /// The constrained value, differentiable with respect to `raw`.
  [[nodiscard]] torch::Tensor value() const {
    return kind == constraint::positive ? lower_bound + torch::exp(raw) : torch::sigmoid(raw);
  }

  /// log |d value / d raw| summed over all elements: what a sampler over `raw` adds to the log
  /// density of a prior that is stated on `value`.
  [[nodiscard]] torch::Tensor log_abs_det_jacobian() const {
    if (kind == constraint::positive) return raw.sum();
    return (torch::nn::functional::logsigmoid(raw) + torch::nn::functional::logsigmoid(-raw)).sum();
  }

  /// A fresh leaf tensor (double, requires_grad) of the given shape whose value() is `value`.
  [[nodiscard]] static torch::Tensor make_raw(const std::vector<std::int64_t>& shape, double value,
                                              constraint kind = constraint::positive,
                                              double lower_bound = 0.0) {
    const double r = kind == constraint::positive ? std::log(value - lower_bound)
                                                  : std::log(value / (1.0 - value));
    return torch::full(shape, r, torch::kFloat64).requires_grad_(true);
  }
};

}  // namespace autopeft::mobo
