#pragma once
// BitFit (Ben Zaken et al., 2022, "BitFit: Simple Parameter-efficient Fine-tuning for
// Transformer-based Masked Language-models"): train every bias term of the encoder, nothing else.
//
// To keep the backbone frozen and shareable across trials, the biases are not trained in place:
// each gets a trainable delta δ, zero at the start, added where the bias acts,
//   linear site:     y = W x + (b + δ)                 (query, key, value, attention.output.dense,
//                                                       intermediate.dense, output.dense)
//   LayerNorm site:  y = γ ⊙ norm(x) + (β + δ)         (attention.output.LayerNorm, output.LayerNorm,
//                                                       embeddings.LayerNorm)
// so the effective biases b + δ are exactly BitFit's trainable biases, and the base tensors are
// never written. δ is named after the bias it shifts: `<site>_bias` in the layer's "bitfit"
// module (query_bias, ..., output_layer_norm_bias), `LayerNorm_bias` in the embeddings'.
// The pooler's bias is not included (HF's sequence classifier trains the head separately).
//
// No options. Trainable parameters: L (4h + i + h + 2h) + h = L (7h + i) + h; bert-base:
// 12 · (7 · 768 + 3072) + 768 = 12 · 8,448 + 768 = 102,144.
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/linear_sites.hpp>

#include <torch/torch.h>

#include <array>
#include <optional>

namespace autopeft::peft {

/// The bias deltas of one encoder layer: one per linear site [out], two LayerNorm ones [h].
class bitfit_layer : public torch::nn::Module {
 public:
  explicit bitfit_layer(const model::EncoderConfig& c) {
    for (auto s : model::linear_sites)
      linear_[linear_index(s)] = register_parameter(site_key(s) + "_bias", torch::zeros({linear_shape(c, s).second}));
    attention_layer_norm_bias = register_parameter("attention_layer_norm_bias", torch::zeros({c.hidden_size}));
    output_layer_norm_bias = register_parameter("output_layer_norm_bias", torch::zeros({c.hidden_size}));
  }

  /// y [.., out] = base(x) (bias b included) + δ.
  torch::Tensor transform_output(model::site s, const torch::Tensor& /*x*/, torch::Tensor y,
                                 torch::nn::LinearImpl& /*base*/) {
    return y + linear_[linear_index(s)];
  }
  /// x [B, S, H] → base(x) + δ.
  std::optional<torch::Tensor> layer_norm(model::site s, const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
    const auto& delta = s == model::site::attention_layer_norm ? attention_layer_norm_bias : output_layer_norm_bias;
    return base.forward(x) + delta;
  }

  /// The delta of a linear site's bias [out].
  [[nodiscard]] const torch::Tensor& bias(model::site s) const { return linear_[linear_index(s)]; }

  torch::Tensor attention_layer_norm_bias, output_layer_norm_bias;

 private:
  std::array<torch::Tensor, model::linear_sites.size()> linear_;
};

/// The delta of the embeddings LayerNorm's bias [h].
class bitfit_embeddings : public torch::nn::Module {
 public:
  explicit bitfit_embeddings(std::int64_t hidden) {
    LayerNorm_bias = register_parameter("LayerNorm_bias", torch::zeros({hidden}));
  }
  std::optional<torch::Tensor> layer_norm(const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
    return base.forward(x) + LayerNorm_bias;
  }

  torch::Tensor LayerNorm_bias;  // NOLINT: named after HF's embeddings.LayerNorm.bias
};

/// Example:
///   model::SequenceClassifier<peft::plan<peft::bitfit>> m(config, peft::plan<peft::bitfit>{});
struct bitfit {
  static constexpr std::string_view name = "bitfit";
  using layer_module = bitfit_layer;
  using model_module = bitfit_embeddings;

  std::shared_ptr<bitfit_layer> build_layer(const model::layer_context& ctx) const {
    return std::make_shared<bitfit_layer>(ctx.config);
  }
  std::shared_ptr<bitfit_embeddings> build_model(const model::embedding_context& ctx) const {
    return std::make_shared<bitfit_embeddings>(ctx.config.hidden_size);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    return c.num_hidden_layers * (7 * c.hidden_size + c.intermediate_size) + c.hidden_size;
  }
};

}  // namespace autopeft::peft
