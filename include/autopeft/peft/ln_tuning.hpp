#pragma once
// LayerNorm tuning (Zhao et al., 2023, "Tuning LayerNorm in Attention: Towards Efficient
// Multi-Modal LLM Finetuning"; HF PEFT's LNTuningConfig): train the LayerNorms, nothing else.
//
// As HF does (it deep-copies each targeted LayerNorm and runs the copy instead), every targeted
// LayerNorm site gets a trainable copy of its γ and β, taken from the base LayerNorm when the PEFT
// modules are built, and used in its place:
//   y = γ' ⊙ (x - μ) / √(σ² + ε) + β',   γ', β' ∈ R^h initialised to the base γ, β.
// So build (or reset_peft) after the backbone's weights are loaded; the base LayerNorm is never
// written. Copies are LayerNorm modules named after their site: `attention_layer_norm` and
// `output_layer_norm` in the layer's "ln_tuning" module, `LayerNorm` in the embeddings'.
//
// Options (HF's LNTuningConfig; HF has no bert default, ours targets every LayerNorm):
//   target_modules {"LayerNorm"}: matched against embeddings.LayerNorm and
//   encoder.layer.<i>.{attention.output,output}.LayerNorm, as HF matches lists and regexes.
// Trainable parameters: 2h per targeted LayerNorm. bert-base, all 25 LayerNorms:
// 25 · 2 · 768 = 38,400, HF PEFT's figure.
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

#include <array>
#include <optional>

namespace autopeft::peft {

namespace detail {
/// A trainable LayerNorm with the options, γ and β of `base`.
inline torch::nn::LayerNorm copy_layer_norm(const torch::nn::LayerNormImpl& base) {
  torch::nn::LayerNorm copy(base.options);
  torch::NoGradGuard ng;
  if (base.weight.defined()) copy->weight.copy_(base.weight);
  if (base.bias.defined()) copy->bias.copy_(base.bias);
  return copy;
}

inline torch::nn::LayerNormImpl& find_layer_norm(torch::nn::Module& owner, const std::string& path) {
  auto named = owner.named_modules("", false);
  auto* m = named.find(path);
  if (!m) throw error("ln_tuning: the module has no LayerNorm '" + path + "'");
  auto* ln = (*m)->as<torch::nn::LayerNorm>();
  if (!ln) throw error("ln_tuning: module '" + path + "' is not a torch::nn::LayerNorm");
  return *ln;
}
}  // namespace detail

/// The trainable LayerNorm copies of one encoder layer (null where the site is not targeted).
class ln_tuning_layer : public torch::nn::Module {
 public:
  void set(model::site s, const torch::nn::LayerNormImpl& base) {
    auto copy = register_module(std::string(s == model::site::attention_layer_norm ? "attention_layer_norm"
                                                                                  : "output_layer_norm"),
                                detail::copy_layer_norm(base));
    (s == model::site::attention_layer_norm ? attention_layer_norm : output_layer_norm) = copy;
  }
  /// x [B, S, H] → the copy's LayerNorm of x, or nothing (base) where the site is not targeted.
  std::optional<torch::Tensor> layer_norm(model::site s, const torch::Tensor& x, torch::nn::LayerNormImpl& /*base*/) {
    auto& m = s == model::site::attention_layer_norm ? attention_layer_norm : output_layer_norm;
    if (!m) return std::nullopt;
    return m->forward(x);
  }

  torch::nn::LayerNorm attention_layer_norm{nullptr}, output_layer_norm{nullptr};
};

/// The trainable copy of embeddings.LayerNorm.
class ln_tuning_embeddings : public torch::nn::Module {
 public:
  explicit ln_tuning_embeddings(const torch::nn::LayerNormImpl& base)
      : LayerNorm(register_module("LayerNorm", detail::copy_layer_norm(base))) {}
  std::optional<torch::Tensor> layer_norm(const torch::Tensor& x, torch::nn::LayerNormImpl& /*base*/) {
    return LayerNorm->forward(x);
  }

  torch::nn::LayerNorm LayerNorm;  // NOLINT: HF's name
};

/// Example:
///   auto all = peft::ln_tuning{};                                          // every LayerNorm
///   auto ffn = peft::ln_tuning{}.target_modules({"output.LayerNorm"});     // includes attention.output.LayerNorm
struct ln_tuning {
  static constexpr std::string_view name = "ln_tuning";
  using layer_module = ln_tuning_layer;
  using model_module = ln_tuning_embeddings;

  TORCH_ARG(targets, target_modules) = targets{"LayerNorm"};

 public:  // TORCH_ARG leaves the access private
  // HF PEFT's adapter format (LNTuningConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "LN_TUNING";
  /// HF keeps the trainable copy inside the LayerNorm: <LayerNorm path>.ln_tuning_layers.<weight | bias>.
  static constexpr std::string_view hf_layer_norm_wrapper = "ln_tuning_layers";
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig&) const {
    const auto& p = *this;
    return {{"exclude_modules", nullptr}, {"target_modules", detail::targets_json(p.target_modules())}};
  }
  static ln_tuning from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    detail::require(j, "exclude_modules", nullptr, file, "select LayerNorms with target_modules");
    ln_tuning p;
    p.target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file));
    return p;
  }

  static constexpr std::array<model::site, 2> layer_sites{model::site::attention_layer_norm,
                                                         model::site::output_layer_norm};
  static constexpr std::string_view embeddings_path = "embeddings.LayerNorm";

  [[nodiscard]] bool selects(std::int64_t layer, model::site s) const {
    return target_modules_.matches(site_path(layer, s));
  }
  [[nodiscard]] bool selects_embeddings() const { return target_modules_.matches(std::string(embeddings_path)); }

  std::shared_ptr<ln_tuning_layer> build_layer(const model::layer_context& ctx) const {
    std::shared_ptr<ln_tuning_layer> out;
    for (auto s : layer_sites) {
      if (!selects(ctx.index, s)) continue;
      if (!out) out = std::make_shared<ln_tuning_layer>();
      out->set(s, detail::find_layer_norm(ctx.layer, std::string(model::to_string(s))));
    }
    return out;
  }
  std::shared_ptr<ln_tuning_embeddings> build_model(const model::embedding_context& ctx) const {
    if (!selects_embeddings()) return nullptr;
    return std::make_shared<ln_tuning_embeddings>(detail::find_layer_norm(ctx.embeddings, "LayerNorm"));
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    std::int64_t n = selects_embeddings() ? 1 : 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l)
      for (auto s : layer_sites) n += selects(l, s) ? 1 : 0;
    return n * 2 * c.hidden_size;
  }
};

}  // namespace autopeft::peft
