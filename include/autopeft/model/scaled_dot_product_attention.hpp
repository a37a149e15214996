#pragma once
// softmax(q kᵀ / √d + mask) v, with dropout on the probabilities while training.
// LibTorch 2.x: the fused kernel (flash / memory-efficient / math, chosen by ATen);
// LibTorch 1.13: the math path, which is also the reference the tests compare against.
#include <torch/torch.h>

#include <cmath>

namespace autopeft::model {

/// q [B, H, Sq, D], k and v [B, H, Sk, D], mask additive [B, 1, 1|Sq, Sk] or undefined.
/// Returns [B, H, Sq, D].
inline torch::Tensor scaled_dot_product_attention_math(const torch::Tensor& q,
                                                       const torch::Tensor& k,
                                                       const torch::Tensor& v,
                                                       const torch::Tensor& mask,
                                                       double dropout_p, bool training) {
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (mask.defined()) scores = scores + mask;
  auto probs = torch::softmax(scores, -1);
  if (training && dropout_p > 0) probs = torch::dropout(probs, dropout_p, true);
  return torch::matmul(probs, v);
}

inline torch::Tensor scaled_dot_product_attention(const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v,
                                                  const torch::Tensor& mask, double dropout_p,
                                                  bool training) {
#if defined(TORCH_VERSION_MAJOR) && TORCH_VERSION_MAJOR >= 2
  c10::optional<torch::Tensor> m;
  if (mask.defined()) m = mask.to(q.scalar_type());
  return at::scaled_dot_product_attention(q, k, v, m, training ? dropout_p : 0.0, false);
#else
  return scaled_dot_product_attention_math(q, k, v, mask, dropout_p, training);
#endif
}

}  // namespace autopeft::model
