#pragma once
// A Llama-family decoder without a head: token embeddings, the decoder layers and the final
// RMSNorm, with HF's module names (embed_tokens, layers.N, norm). Attention is causal; padding
// (left or right) is masked with the 0/1 attention mask.
#include <autopeft/error.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/decoder_layer.hpp>
#include <autopeft/model/kv_cache.hpp>
#include <autopeft/model/rms_norm.hpp>
#include <autopeft/model/rotary_embedding.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <string>

namespace autopeft::model {

/// The additive mask [B, 1, S, P + S] for S new positions after P cached ones: a query may see
/// the keys at or before its own position whose attention_mask entry is 1. A query that sees no
/// key (a left-padding position) gets a row of the lowest value, so softmax stays finite.
inline torch::Tensor causal_padding_mask(std::int64_t batch, std::int64_t S, std::int64_t past, const torch::Tensor& attention_mask,
                                         torch::Device device) {
  const auto total = past + S;
  const auto q = torch::arange(past, total, torch::TensorOptions().dtype(torch::kLong).device(device)).view({S, 1});
  const auto k = torch::arange(total, torch::TensorOptions().dtype(torch::kLong).device(device)).view({1, total});
  auto allowed = (k <= q).view({1, 1, S, total}).expand({batch, 1, S, total});
  if (attention_mask.defined()) allowed = allowed & attention_mask.to(device).to(torch::kBool).view({batch, 1, 1, total});
  auto mask = torch::zeros({batch, 1, S, total}, torch::TensorOptions().device(device));
  return mask.masked_fill(allowed.logical_not(), std::numeric_limits<float>::lowest());
}

class DecoderModelImpl : public torch::nn::Module {
 public:
  explicit DecoderModelImpl(const DecoderConfig& c) : config_(c) {
    c.validate();
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
    layers = register_module("layers", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c));
    norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps));
    // Not a buffer: HF's checkpoints do not hold it (it is computed from the configuration).
    inverse_frequencies_ = rope_inverse_frequencies(c);
  }

  /// input_ids [B, S]; attention_mask [B, P + S] (1 keep, 0 padding; P the cached positions) or
  /// undefined for none; position_ids [B, S] or undefined for P, P+1, ...; `cache` (optional)
  /// holds the P earlier positions and gets these. Returns the hidden states [B, S, hidden].
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {}, KVCache* cache = nullptr,
                        torch::Tensor position_ids = {}) {
    const auto B = input_ids.size(0), S = input_ids.size(1);
    const auto past = cache != nullptr ? cache->length() : 0;
    if (cache != nullptr && cache->keys.size() != layers->size()) *cache = KVCache(static_cast<std::int64_t>(layers->size()));
    if (attention_mask.defined() && (attention_mask.dim() != 2 || attention_mask.size(0) != B || attention_mask.size(1) != past + S))
      throw error("DecoderModel: attention_mask must be [batch, cached + new positions] = [" + std::to_string(B) + ", " +
                  std::to_string(past + S) + "]");
    if (!position_ids.defined())
      position_ids = torch::arange(past, past + S, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device())).expand({B, S});
    auto h = embed_tokens(input_ids);
    if (inverse_frequencies_.device() != input_ids.device()) inverse_frequencies_ = inverse_frequencies_.to(input_ids.device());
    const auto [cos, sin] = rope_cos_sin(inverse_frequencies_, position_ids);
    torch::Tensor mask;
    if (S > 1 || attention_mask.defined()) mask = causal_padding_mask(B, S, past, attention_mask, input_ids.device());
    for (std::size_t i = 0; i < layers->size(); ++i) h = layers[i]->as<DecoderLayer>()->forward(h, cos, sin, mask, cache, i);
    return norm(h);
  }

  [[nodiscard]] const DecoderConfig& config() const noexcept { return config_; }

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};

 private:
  DecoderConfig config_;
  torch::Tensor inverse_frequencies_;
};
TORCH_MODULE(DecoderModel);

}  // namespace autopeft::model
