#pragma once
// The keys and values a decoder has computed so far, one pair per layer, so that generation
// feeds each new token once instead of the whole sequence again.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace autopeft::model {

/// Per layer: keys and values [B, H_kv, S_past, head_dim] (after the rotary embedding), or
/// undefined before the first forward. A cache belongs to one batch of sequences.
struct KVCache {
  std::vector<torch::Tensor> keys, values;

  explicit KVCache(std::int64_t layers = 0) : keys(static_cast<std::size_t>(layers)), values(static_cast<std::size_t>(layers)) {}

  /// The positions cached so far.
  [[nodiscard]] std::int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }

  /// Appends a layer's new keys and values and returns the whole of them.
  std::pair<torch::Tensor, torch::Tensor> append(std::size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
    auto& K = keys.at(layer);
    auto& V = values.at(layer);
    K = K.defined() ? torch::cat({K, k}, 2) : k;
    V = V.defined() ? torch::cat({V, v}, 2) : v;
    return {K, V};
  }
};

}  // namespace autopeft::model
