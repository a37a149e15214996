#pragma once
// One Llama-family decoder layer, pre-norm: x + attention(RMSNorm(x)), then + MLP(RMSNorm(.)).
// Attention is grouped-query (num_key_value_heads key/value heads, each shared by
// num_attention_heads / num_key_value_heads query heads) with rotary positions; the MLP is
// SwiGLU: down_proj(silu(gate_proj(x)) * up_proj(x)). The module names are HF's, so a
// checkpoint's keys and PEFT's target_modules (q_proj, k_proj, v_proj, o_proj, gate_proj,
// up_proj, down_proj) name the same Linear layers.
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/kv_cache.hpp>
#include <autopeft/model/rms_norm.hpp>
#include <autopeft/model/rotary_embedding.hpp>
#include <autopeft/model/scaled_dot_product_attention.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::model {

class DecoderAttentionImpl : public torch::nn::Module {
 public:
  explicit DecoderAttentionImpl(const DecoderConfig& c)
      : heads_(c.num_attention_heads), kv_heads_(c.num_key_value_heads), d_(c.dim_per_head()), dropout_(c.attention_dropout) {
    auto linear = [&](const char* name, std::int64_t in, std::int64_t out, bool bias) {
      return register_module(name, torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias)));
    };
    q_proj = linear("q_proj", c.hidden_size, heads_ * d_, c.qkv_bias());
    k_proj = linear("k_proj", c.hidden_size, kv_heads_ * d_, c.qkv_bias());
    v_proj = linear("v_proj", c.hidden_size, kv_heads_ * d_, c.qkv_bias());
    o_proj = linear("o_proj", heads_ * d_, c.hidden_size, c.o_bias());
  }

  /// x [B, S, hidden]; cos/sin [B, S, head_dim]; mask additive [B, 1, S, S_past + S] or
  /// undefined; `cache` (optional) gets this step's keys and values. Returns [B, S, hidden].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask,
                        KVCache* cache = nullptr, std::size_t layer = 0) {
    const auto B = x.size(0), S = x.size(1);
    auto q = q_proj(x).view({B, S, heads_, d_}).transpose(1, 2);
    auto k = k_proj(x).view({B, S, kv_heads_, d_}).transpose(1, 2);
    auto v = v_proj(x).view({B, S, kv_heads_, d_}).transpose(1, 2);
    q = apply_rotary(q, cos, sin);
    k = apply_rotary(k, cos, sin);
    if (cache != nullptr) std::tie(k, v) = cache->append(layer, k, v);
    if (kv_heads_ != heads_) {  // query head h reads key/value head h / (heads / kv_heads), as HF's repeat_kv
      k = k.repeat_interleave(heads_ / kv_heads_, 1);
      v = v.repeat_interleave(heads_ / kv_heads_, 1);
    }
    const auto out = scaled_dot_product_attention(q, k, v, mask, dropout_, is_training());
    return o_proj(out.transpose(1, 2).reshape({B, S, heads_ * d_}));
  }

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  std::int64_t heads_, kv_heads_, d_;
  double dropout_;
};
TORCH_MODULE(DecoderAttention);

class DecoderMLPImpl : public torch::nn::Module {
 public:
  explicit DecoderMLPImpl(const DecoderConfig& c) {
    auto linear = [&](const char* name, std::int64_t in, std::int64_t out) {
      return register_module(name, torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(c.mlp_bias)));
    };
    gate_proj = linear("gate_proj", c.hidden_size, c.intermediate_size);
    up_proj = linear("up_proj", c.hidden_size, c.intermediate_size);
    down_proj = linear("down_proj", c.intermediate_size, c.hidden_size);
  }

  /// x [..., hidden] -> [..., hidden]
  torch::Tensor forward(const torch::Tensor& x) { return down_proj(torch::silu(gate_proj(x)) * up_proj(x)); }

  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(DecoderMLP);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const DecoderConfig& c)
      : self_attn(register_module("self_attn", DecoderAttention(c))),
        mlp(register_module("mlp", DecoderMLP(c))),
        input_layernorm(register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps))),
        post_attention_layernorm(register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps))) {}

  /// x [B, S, hidden] -> [B, S, hidden]; the other arguments as DecoderAttention's.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask,
                        KVCache* cache = nullptr, std::size_t layer = 0) {
    auto h = x + self_attn(input_layernorm(x), cos, sin, mask, cache, layer);
    return h + mlp(post_attention_layernorm(h));
  }

  DecoderAttention self_attn;
  DecoderMLP mlp;
  RMSNorm input_layernorm, post_attention_layernorm;
};
TORCH_MODULE(DecoderLayer);

}  // namespace autopeft::model
