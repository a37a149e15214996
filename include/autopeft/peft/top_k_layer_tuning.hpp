#pragma once
// Top-k layer tuning (selective fine-tuning of the top layers; Lee et al., 2019, "What Would Elsa
// Do? Freezing Layers During Transformer Fine-Tuning"; the "top layers" baseline of Houlsby et
// al., 2019): the k encoder layers closest to the head train every weight, the rest stay frozen.
// "Top" counts from the head: with L layers, layers L-k .. L-1 train.
//
// As BitFit does, the base tensors are not trained in place, so one resident backbone serves
// every trial: each weight of a top layer gets a trainable delta δ, zero at the start, added
// where the weight acts,
//   linear site:     y = (W + δW) x + (b + δb)          (query, key, value, attention.output.dense,
//                                                        intermediate.dense, output.dense)
//   LayerNorm site:  y = (γ + δγ) ⊙ norm(x) + (β + δβ)   (attention.output.LayerNorm, output.LayerNorm)
// so W + δW is exactly the fine-tuned weight (the same gradient as W's in place). The deltas
// live in the layer's "top_k_layer_tuning" module, named after what they shift (`query_weight`,
// `query_bias`, ..., `output_layer_norm_bias`). merge adds them into the layer's weights, so
// peft::merge_and_unload leaves a plain fine-tuned encoder.
//
// Options: k (default 1; 0 trains no layer). Trainable parameters: k times one layer's
//   4 (h² + h) + (h i + i) + (i h + h) + 2 · 2h = 4h² + 2hi + 9h + i;
// bert-base, k = 1: 7,087,872 (a BERT layer's parameters).
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/linear_sites.hpp>
#include <autopeft/peft/size_member.hpp>

#include <torch/torch.h>

#include <array>
#include <optional>
#include <string>

namespace autopeft::peft {

/// The weight deltas of one top layer, all zero at the start.
class top_k_layer_tuning_layer : public torch::nn::Module {
 public:
  explicit top_k_layer_tuning_layer(const model::EncoderConfig& c) {
    for (auto s : model::linear_sites) {
      const auto [in, out] = linear_shape(c, s);
      const auto i = linear_index(s);
      weight_[i] = register_parameter(site_key(s) + "_weight", torch::zeros({out, in}));
      bias_[i] = register_parameter(site_key(s) + "_bias", torch::zeros({out}));
    }
    for (std::size_t i = 0; i < norm_sites.size(); ++i) {
      const std::string key(norm_sites[i] == model::site::attention_layer_norm ? "attention_layer_norm"
                                                                              : "output_layer_norm");
      norm_weight_[i] = register_parameter(key + "_weight", torch::zeros({c.hidden_size}));
      norm_bias_[i] = register_parameter(key + "_bias", torch::zeros({c.hidden_size}));
    }
  }

  /// y [.., out] = base(x) + δW x + δb; y unchanged while merged.
  torch::Tensor transform_output(model::site s, const torch::Tensor& x, torch::Tensor y,
                                 torch::nn::LinearImpl& /*base*/) {
    if (merged_) return y;
    const auto i = linear_index(s);
    return y + torch::linear(x, weight_[i], bias_[i]);
  }
  /// x [B, S, H] → LayerNorm of x with γ + δγ, β + δβ; the base LayerNorm while merged.
  std::optional<torch::Tensor> layer_norm(model::site s, const torch::Tensor& x, torch::nn::LayerNormImpl& base) {
    if (merged_) return std::nullopt;
    const auto i = norm_index(s);
    return torch::layer_norm(x, base.options.normalized_shape(), base.weight + norm_weight_[i],
                             base.bias + norm_bias_[i], base.options.eps());
  }

  /// Adds the deltas into the weights of `layer` (the encoder layer this module was built for);
  /// unmerge subtracts them.
  void merge(torch::nn::Module& layer) {
    if (merged_) return;
    apply(layer, 1);
    merged_ = true;
  }
  void unmerge(torch::nn::Module& layer) {
    if (!merged_) return;
    apply(layer, -1);
    merged_ = false;
  }
  [[nodiscard]] bool merged() const { return merged_; }

  static constexpr std::array<model::site, 2> norm_sites{model::site::attention_layer_norm,
                                                        model::site::output_layer_norm};

 private:
  static std::size_t norm_index(model::site s) { return s == model::site::attention_layer_norm ? 0 : 1; }

  void apply(torch::nn::Module& layer, double sign) {
    torch::NoGradGuard ng;
    for (auto s : model::linear_sites) {
      auto& base = detail::site_linear(layer, s);
      base.weight.add_(weight_[linear_index(s)].to(base.weight.scalar_type()), sign);
      base.bias.add_(bias_[linear_index(s)].to(base.bias.scalar_type()), sign);
    }
    auto named = layer.named_modules("", false);
    for (auto s : norm_sites) {
      auto* base = named[std::string(model::to_string(s))]->as<torch::nn::LayerNorm>();
      base->weight.add_(norm_weight_[norm_index(s)].to(base->weight.scalar_type()), sign);
      base->bias.add_(norm_bias_[norm_index(s)].to(base->bias.scalar_type()), sign);
    }
  }

  std::array<torch::Tensor, model::linear_sites.size()> weight_, bias_;
  std::array<torch::Tensor, 2> norm_weight_, norm_bias_;
  bool merged_ = false;
};

/// Example:
///   auto top2 = peft::top_k_layer_tuning{}.k(2);   // the two layers next to the head train
struct top_k_layer_tuning {
  static constexpr std::string_view name = "top_k_layer_tuning";
  using layer_module = top_k_layer_tuning_layer;
  using model_module = void;

  TORCH_ARG(std::int64_t, k) = 1;

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<top_k_layer_tuning, D> sets (0: no layer trains).
  using size_option = size_member<&top_k_layer_tuning::k_>;

  /// Whether layer `layer` of an encoder of `layers` layers is among the top k.
  [[nodiscard]] bool selects(std::int64_t layer, std::int64_t layers) const {
    return layer >= layers - checked_k(layers);
  }

  std::shared_ptr<top_k_layer_tuning_layer> build_layer(const model::layer_context& ctx) const {
    if (!selects(ctx.index, ctx.config.num_hidden_layers)) return nullptr;
    return std::make_shared<top_k_layer_tuning_layer>(ctx.config);
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    const auto h = c.hidden_size, i = c.intermediate_size;
    return checked_k(c.num_hidden_layers) * (4 * h * h + 2 * h * i + 9 * h + i);
  }

 private:
  [[nodiscard]] std::int64_t checked_k(std::int64_t layers) const {
    if (k_ < 0 || k_ > layers)
      throw error("top_k_layer_tuning: option 'k' is " + std::to_string(k_) + " but the encoder has " +
                  std::to_string(layers) + " layers; give k between 0 (no layer trains) and " +
                  std::to_string(layers) + " (every layer)");
    return k_;
  }
};

}  // namespace autopeft::peft
