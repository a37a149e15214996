#pragma once
// Prefix tuning (Li & Liang, 2021, "Prefix-Tuning: Optimizing Continuous Prompts for
// Generation") and, without the reparametrisation, deep prompts / P-tuning v2 (Liu et al., 2022).
//
// Every selected layer attends to P extra keys and values. They come from one model-level
// prefix encoder, as in HF PEFT's PrefixEncoder:
//   without projection: E ∈ R^{P × 2·L·H} (embedding),                 count P·2LH
//   with projection:    tanh-MLP  E ∈ R^{P×H} → Linear(H, h) → tanh → Linear(h, 2LH),
//                       count P·H + (H·h + h) + (h·2LH + 2LH),  h = encoder_hidden_size
// (L = selected layers, H = hidden size). For layer j the keys are slice 2j and the values
// slice 2j + 1 of the 2L axis, viewed as [heads, P, head_dim], as HF lays them out. As in HF,
// positions of the real tokens are shifted by P (the prefix counts as past tokens).
// The AutoPEFT reference uses the projection with h = 800.
//
// The MLP is a training device: after training the prefix it computes, [P, 2·L·H], is what the
// adapted model needs, so the stored count (stored_parameters) is P·2LH with or without the
// projection, as in the AutoPEFT reference's cost. The encoder's stored_state() gives that
// folded prefix, which save_adapter writes (as HF PEFT's get_peft_model_state_dict saves
// get_prompt_embedding_to_save()) and which loads into a prefix without projection.
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/size_member.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace autopeft::peft {

namespace detail {

/// y = x Wᵀ + b, with W [out, in] and b [out] made directly with `options` (the backbone's device
/// and dtype) and initialised as torch::nn::Linear is (both ~ U(-1/√in, 1/√in), drawn in the
/// same order, so on the CPU the values are Linear's own). torch::nn::Linear always builds and
/// initialises on the CPU: for AutoPEFT's prefix MLP (800 → 2·L·H, 14.7 M weights at BERT-base)
/// that, plus the copy to the GPU, was 68 of the 85 ms a new trial took to set up
/// (docs/results/gpu_throughput.md).
class placed_linear : public torch::nn::Module {
 public:
  placed_linear(std::int64_t in, std::int64_t out, const torch::TensorOptions& options) : in_(in), out_(out) {
    torch::NoGradGuard no_grad;
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    weight = register_parameter("weight", torch::empty({out, in}, options).uniform_(-bound, bound));
    bias = register_parameter("bias", torch::empty({out}, options).uniform_(-bound, bound));
  }
  /// x [..., in] -> [..., out]
  torch::Tensor forward(const torch::Tensor& x) { return torch::linear(x, weight, bias); }
  void pretty_print(std::ostream& os) const override {
    os << "autopeft::peft::detail::placed_linear(in_features=" << in_ << ", out_features=" << out_ << ")";
  }

  torch::Tensor weight, bias;

 private:
  std::int64_t in_, out_;
};

}  // namespace detail

class prefix_encoder : public torch::nn::Module {
 public:
  struct options {
    std::int64_t virtual_tokens, hidden, layers, heads;
    /// The reparametrisation MLP, of hidden width projection_hidden.
    bool projection = false;
    std::int64_t projection_hidden = 0;
  };

  /// `where`: where the reparametrisation MLP is made (the backbone's device and dtype).
  explicit prefix_encoder(const options& o, const torch::TensorOptions& where = {})
      : p_(o.virtual_tokens), layers_(o.layers), heads_(o.heads), head_dim_(o.hidden / o.heads),
        width_(2 * o.layers * o.hidden) {
    if (o.projection) {
      embedding = register_module("embedding", torch::nn::Embedding(o.virtual_tokens, o.hidden));
      transform = register_module(
          "transform",
          torch::nn::Sequential(std::make_shared<detail::placed_linear>(o.hidden, o.projection_hidden, where),
                                torch::nn::Tanh(),
                                std::make_shared<detail::placed_linear>(o.projection_hidden, width_, where)));
    } else {
      embedding = register_module("embedding", torch::nn::Embedding(o.virtual_tokens, width_));
    }
  }

  /// Called at the prompt site, once per forward: computes every selected layer's prefix.
  std::int64_t prompt(torch::Tensor& inputs_embeds) {
    // [P, 2L·H] -> [2L, heads, P, head_dim]
    cache_ = prefix().to(inputs_embeds.scalar_type()).view({p_, 2 * layers_, heads_, head_dim_}).permute({1, 2, 0, 3});
    return 0;
  }
  std::int64_t position_offset() const { return p_; }

  /// The prefix of every selected layer, [P, 2L·H] (layer j's keys at columns 2j·H.., values at
  /// (2j + 1)·H..): the embedding, through the MLP when there is one.
  torch::Tensor prefix() {
    auto e = embedding->weight;
    if (!transform.is_empty()) e = transform->forward(e);
    return e;
  }

  /// What is stored after training: the folded prefix P·2LH, without the MLP.
  [[nodiscard]] std::int64_t stored_parameters() const { return p_ * width_; }
  /// The stored form, named as a prefix without projection names it: {"embedding.weight", [P, 2L·H]}.
  std::vector<std::pair<std::string, torch::Tensor>> stored_state() {
    torch::NoGradGuard no_grad;
    return {{"embedding.weight", prefix().detach()}};
  }

  /// Keys and values of the j-th selected layer, [B, heads, P, head_dim] each.
  model::prefix_kv layer_kv(std::int64_t j, std::int64_t batch) const {
    if (!cache_.defined()) throw error("prefix_tuning: the prefix was read before the embeddings ran");
    return {cache_[2 * j].unsqueeze(0).expand({batch, heads_, p_, head_dim_}),
            cache_[2 * j + 1].unsqueeze(0).expand({batch, heads_, p_, head_dim_})};
  }

  torch::nn::Embedding embedding{nullptr};
  torch::nn::Sequential transform{nullptr};

 private:
  std::int64_t p_, layers_, heads_, head_dim_, width_;
  torch::Tensor cache_;
};

class prefix_layer : public torch::nn::Module {
 public:
  prefix_layer(std::shared_ptr<prefix_encoder> encoder, std::int64_t slot)
      : encoder_(std::move(encoder)), slot_(slot) {}
  std::optional<model::prefix_kv> prefix(std::int64_t batch) { return encoder_->layer_kv(slot_, batch); }

 private:
  std::shared_ptr<prefix_encoder> encoder_;  // owned by the embeddings' PEFT module
  std::int64_t slot_;
};

/// Example:
///   auto p = peft::prefix_tuning{}.num_virtual_tokens(20).prefix_projection(true).encoder_hidden_size(800);
struct prefix_tuning {
  static constexpr std::string_view name = "prefix_tuning";
  using layer_module = prefix_layer;
  using model_module = prefix_encoder;

  TORCH_ARG(std::int64_t, num_virtual_tokens) = 20;
  TORCH_ARG(bool, prefix_projection) = false;
  /// Hidden width of the reparametrisation MLP; 0 means the model's hidden size (as HF).
  TORCH_ARG(std::int64_t, encoder_hidden_size) = 0;
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<prefix_tuning, D> sets.
  using size_option = size_member<&prefix_tuning::num_virtual_tokens_>;

  // HF PEFT's adapter format (PrefixTuningConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "PREFIX_TUNING";
  /// HF's prompt learning: the adapter file holds `prompt_embeddings`, and the PeftModel wraps
  /// the transformers model one level less (the head is "base_model.classifier.weight").
  static constexpr bool hf_prompt_learning = true;
  /// The policy's fields as they are; save_adapter writes the folded policy (prefix_tuning::folded:
  /// prefix_projection false), since the file holds the computed prefix, not the MLP.
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig& c) const {
    const auto& p = *this;
    detail::no_layers(p.layers_to_transform(), "prefix_tuning", peft_type);
    auto j = detail::prompt_learning_json(p.num_virtual_tokens(), c);
    j.update({{"encoder_hidden_size", p.projection_width(c)}, {"init_weights", nullptr},
              {"prefix_projection", p.prefix_projection()}});
    return j;
  }
  /// A prefix without projection, whatever prefix_projection says: HF PEFT's files hold the
  /// computed prefix [P, 2·L·H] either way (get_peft_model_state_dict saves
  /// get_prompt_embedding_to_save(), or the plain embedding in inference mode).
  static prefix_tuning from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    (void)detail::field<bool>(j, "prefix_projection", false, file);  // a wrong type is still an error
    prefix_tuning p;
    p.num_virtual_tokens(detail::field<std::int64_t>(j, "num_virtual_tokens", 20, file));
    return p;
  }

  [[nodiscard]] std::int64_t selected_layers(const model::EncoderConfig& c) const {
    std::int64_t n = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) n += layer_selected(layers_to_transform_, l);
    return n;
  }
  [[nodiscard]] std::int64_t projection_width(const model::EncoderConfig& c) const {
    return encoder_hidden_size_ > 0 ? encoder_hidden_size_ : c.hidden_size;
  }

  std::shared_ptr<prefix_encoder> build_model(const model::embedding_context& ctx) const {
    if (num_virtual_tokens_ <= 0) throw error("prefix_tuning: option 'num_virtual_tokens' must be positive");
    const auto l = selected_layers(ctx.config);
    if (l == 0) return nullptr;
    torch::TensorOptions where;
    const auto params = ctx.embeddings.named_parameters(true);
    if (const auto* w = params.find("word_embeddings.weight")) where = where.device(w->device()).dtype(w->scalar_type());
    return std::make_shared<prefix_encoder>(
        prefix_encoder::options{num_virtual_tokens_, ctx.config.hidden_size, l, ctx.config.num_attention_heads,
                                prefix_projection_, projection_width(ctx.config)},
        where);
  }

  std::shared_ptr<prefix_layer> build_layer(const model::layer_context& ctx) const {
    if (!layer_selected(layers_to_transform_, ctx.index) || !ctx.embeddings) return nullptr;
    auto named = ctx.embeddings->named_modules("", false);
    auto it = named.find("peft." + std::string(name));
    if (!it) throw error("prefix_tuning: the embeddings carry no prefix encoder");
    auto encoder = std::dynamic_pointer_cast<prefix_encoder>(*it);
    std::int64_t slot = 0;
    for (std::int64_t l = 0; l < ctx.index; ++l) slot += layer_selected(layers_to_transform_, l);
    return std::make_shared<prefix_layer>(encoder, slot);
  }

  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    const auto l = selected_layers(c);
    if (l == 0) return 0;
    const auto p = num_virtual_tokens_, h = c.hidden_size, width = 2 * l * h;
    if (!prefix_projection_) return p * width;
    const auto e = projection_width(c);
    return p * h + (h * e + e) + (e * width + width);
  }
  /// P·2LH with or without the projection: the MLP is dropped once the prefix is computed.
  [[nodiscard]] std::int64_t stored_parameters(const model::EncoderConfig& c) const {
    return num_virtual_tokens_ * 2 * selected_layers(c) * c.hidden_size;
  }
  /// The policy of the stored form: the same prefix without the reparametrisation, which the
  /// folded prefix (prefix_encoder::stored_state) loads into.
  [[nodiscard]] prefix_tuning folded() const {
    auto p = *this;
    p.prefix_projection(false).encoder_hidden_size(0);
    return p;
  }
};

/// P-tuning v2's deep prompts are prefix tuning without the reparametrisation.
using p_tuning_v2 = prefix_tuning;

}  // namespace autopeft::peft
