#pragma once
// Gradient clipping by the global L2 norm, as torch.nn.utils.clip_grad_norm_ (max_norm, norm
// type 2, the 1e-6 of PyTorch's clip coefficient), without reading the norm back to the host.
// LibTorch's torch::nn::utils::clip_grad_norm_ takes one norm per tensor and reads the total
// with .item() to decide whether to scale: on a GPU that is a synchronisation per step, which
// leaves the GPU idle while the host enqueues the next step. Here the coefficient
// min(1, max_norm / (norm + 1e-6)) stays on the device and every gradient is multiplied by it
// (by 1 when the norm is within bounds), so the step never waits for the GPU.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <vector>

namespace autopeft::train {

/// Scales the gradients of `params` in place so that their global L2 norm is at most
/// `max_norm`; parameters without a gradient are skipped. Returns the norm before clipping as a
/// 0-dim tensor on the gradients' device (undefined if no parameter has a gradient).
inline torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  if (!(max_norm > 0)) throw error("clip_grad_norm: max_norm must be positive, got " + std::to_string(max_norm));
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return {};
  torch::NoGradGuard no_grad;
  // In float32, or float64 when a gradient is float64 (bf16 gradients are summed in float32).
  auto dtype = torch::kFloat;
  for (const auto& g : grads)
    if (g.scalar_type() == torch::kDouble) dtype = torch::kDouble;
  auto norms = at::_foreach_norm(grads, 2);
  for (auto& n : norms) n = n.to(dtype);
  const auto total = torch::stack(norms).norm(2);
  const auto coef = torch::clamp_max(max_norm / (total + 1e-6), 1.0);
#if TORCH_VERSION_MAJOR >= 2
  at::_foreach_mul_(grads, coef);
#else
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
#endif
  return total;
}

}  // namespace autopeft::train
