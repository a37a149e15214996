#pragma once
// Additive attention masks: 0 where a key may be attended, the dtype's lowest value where not.
// The lowest finite value (not -inf) keeps a fully masked row finite, as HF does.
#include <torch/torch.h>

#include <limits>

namespace autopeft::model {

inline double lowest_value(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat64: return std::numeric_limits<double>::lowest();
    case torch::kFloat16: return -65504.0;
    case torch::kBFloat16: return -3.3895313892515355e38;
    default: return std::numeric_limits<float>::lowest();
  }
}

/// attention_mask [B, S] of 1 (attend) / 0 (padding) -> additive mask [B, 1, 1, S] in `dtype`.
inline torch::Tensor additive_mask(const torch::Tensor& attention_mask, torch::Dtype dtype) {
  auto keep = attention_mask.to(torch::kBool).unsqueeze(1).unsqueeze(2);
  return torch::zeros(keep.sizes(), attention_mask.options().dtype(dtype))
      .masked_fill(keep.logical_not(), lowest_value(dtype));
}

}  // namespace autopeft::model
