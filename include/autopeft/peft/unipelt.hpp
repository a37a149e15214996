#pragma once
// UniPELT (Mao et al., 2022, "UniPELT: A Unified Framework for Parameter-Efficient Language Model
// Tuning"): LoRA, prefix tuning and a serial adapter in every selected layer, each scaled by a
// learned gate that can switch it on or off per input,
//
//   LoRA (query, value):   y = W x + b + G_L · s · B A x,          G_L = σ(W_GL x + b_GL)  per token
//   prefix:                K = [G_P · P_K ; W_K x],  V = [G_P · P_V ; W_V x],
//                          G_P = mean_t σ(W_GP x_t + b_GP)          per example
//   adapter (after FFN):   h ← h + G_A · up(act(down(h))),         G_A = σ(W_GA h + b_GA)  per token
//
// x is the layer input (what query, key and value read), h the FFN output before Add & LayerNorm.
// Each gate is a Linear(H, 1) per layer and component (LibTorch's default initialisation), three
// per layer (two without a prefix). The prefix gate follows the paper: it scales the prefix keys
// and values, the real tokens' keys and values intact. Because the layer's prefix hook sees no
// token, G_P is the mean over the sequence of per-token gates (padding included: the hook does not
// see the mask), computed when the query site runs and read when the prefix is requested.
// Note that G_P = 0 makes the prefix keys and values zero, which is not the same as no prefix:
// zero keys still take softmax mass. G_L = 0 and G_A = 0 remove their components exactly.
//
// Initialisation: LoRA A kaiming-uniform, B zero; adapter down LibTorch's Linear, up zero; so the
// LoRA and adapter parts add nothing at initialisation. The prefix is not an identity: its keys
// and values (from prefix tuning's encoder, at `<backbone>.embeddings.peft.unipelt`, laid out as
// in prefix_tuning.hpp) take attention from the start. num_virtual_tokens(0) drops the prefix
// component and its gate; the rest is then an identity at initialisation.
//
// Options (the paper's values as defaults where it states them): r 8, lora_alpha 16,
// lora_dropout 0, num_virtual_tokens 10, prefix_projection false (the paper reparametrises the
// prefix: set prefix_projection(true), encoder_hidden_size(512)), encoder_hidden_size 0 (= H),
// bottleneck_size 48, non_linearity "relu", layers_to_transform.
// Trainable parameters, L selected layers, P = num_virtual_tokens:
//   L · (2 · r · 2H  +  bottleneck (2Hb + b + H)  +  (H + 1) · (P > 0 ? 3 : 2))  +  prefix_tuning's count.
// Stored parameters: the same with prefix_tuning's stored count (P·2LH: a reparametrisation MLP
// is dropped once the prefix is computed). The gates stay: they are functions of the input.
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/bottleneck.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/target.hpp>

#include <torch/torch.h>

namespace autopeft::peft {

class unipelt_layer : public torch::nn::Module {
 public:
  struct sizes {
    std::int64_t hidden, r, bottleneck_size;
    double scaling, lora_dropout;
    std::string non_linearity;
  };

  unipelt_layer(const sizes& z, torch::nn::LinearImpl& query_base, torch::nn::LinearImpl& value_base,
                std::shared_ptr<prefix_encoder> encoder, std::int64_t slot)
      : dropout_(z.lora_dropout), encoder_(std::move(encoder)), slot_(slot) {
    const auto h = z.hidden;
    const lora_site::options lora{h, h, z.r, z.scaling};
    query = register_module("query", std::make_shared<lora_site>(lora, query_base));
    value = register_module("value", std::make_shared<lora_site>(lora, value_base));
    gate_lora = register_module("gate_lora", torch::nn::Linear(h, 1));
    adapter = register_module("adapter", std::make_shared<bottleneck>(h, z.bottleneck_size, z.non_linearity, 1.0));
    gate_adapter = register_module("gate_adapter", torch::nn::Linear(h, 1));
    if (encoder_) gate_prefix = register_module("gate_prefix", torch::nn::Linear(h, 1));
  }

  /// Gated LoRA at query and value; the query site also computes the prefix gate from x [B, S, H].
  torch::Tensor transform_output(model::site s, const torch::Tensor& x, torch::Tensor y, torch::nn::LinearImpl&) {
    if (s == model::site::query && gate_prefix) prefix_gate_ = torch::sigmoid(gate_prefix->forward(x)).mean(1);  // [B, 1]
    auto* site = s == model::site::query ? query.get() : s == model::site::value ? value.get() : nullptr;
    if (!site) return y;
    auto xd = dropout_ > 0 && is_training() ? torch::dropout(x, dropout_, true) : x;
    auto update = site->lora_B->forward(site->lora_A->forward(xd)) * site->scaling();
    return y + torch::sigmoid(gate_lora->forward(x)) * update;
  }

  /// Gated prefix keys and values of this layer, [B, heads, P, head_dim] each.
  std::optional<model::prefix_kv> prefix(std::int64_t batch) {
    if (!encoder_) return std::nullopt;
    if (!prefix_gate_.defined())
      throw error("unipelt: the prefix was requested before the query projection ran, so its gate is unknown");
    auto [k, v] = encoder_->layer_kv(slot_, batch);
    auto g = prefix_gate_.view({batch, 1, 1, 1}).to(k.scalar_type());
    prefix_gate_ = torch::Tensor();
    return model::prefix_kv{k * g, v * g};
  }

  /// h [B, S, H] → h + G_A(h) · adapter(h).
  torch::Tensor after_ffn(torch::Tensor h, const torch::Tensor& /*ffn_input*/) {
    return h + torch::sigmoid(gate_adapter->forward(h)) * adapter->forward(h);
  }

  std::shared_ptr<lora_site> query, value;
  std::shared_ptr<bottleneck> adapter;
  torch::nn::Linear gate_lora{nullptr}, gate_adapter{nullptr}, gate_prefix{nullptr};

 private:
  double dropout_;
  std::shared_ptr<prefix_encoder> encoder_;  // owned by the embeddings' PEFT module
  std::int64_t slot_;
  torch::Tensor prefix_gate_;
};

/// Example:
///   auto p = peft::unipelt{}.r(8).lora_alpha(16).num_virtual_tokens(10).bottleneck_size(48);
struct unipelt {
  static constexpr std::string_view name = "unipelt";
  using layer_module = unipelt_layer;
  using model_module = prefix_encoder;

  TORCH_ARG(std::int64_t, r) = 8;
  TORCH_ARG(double, lora_alpha) = 16;
  TORCH_ARG(double, lora_dropout) = 0.0;
  /// 0: no prefix component (and no prefix gate).
  TORCH_ARG(std::int64_t, num_virtual_tokens) = 10;
  TORCH_ARG(bool, prefix_projection) = false;
  TORCH_ARG(std::int64_t, encoder_hidden_size) = 0;
  TORCH_ARG(std::int64_t, bottleneck_size) = 48;
  TORCH_ARG(std::string, non_linearity) = "relu";
  TORCH_ARG(std::vector<std::int64_t>, layers_to_transform) = {};

 public:  // TORCH_ARG leaves the access private
  /// The prefix part as a prefix_tuning policy (its encoder and count are prefix tuning's).
  [[nodiscard]] prefix_tuning prefix_part() const {
    return prefix_tuning{}
        .num_virtual_tokens(num_virtual_tokens_)
        .prefix_projection(prefix_projection_)
        .encoder_hidden_size(encoder_hidden_size_)
        .layers_to_transform(layers_to_transform_);
  }

  std::shared_ptr<prefix_encoder> build_model(const model::embedding_context& ctx) const {
    check();
    if (num_virtual_tokens_ == 0) return nullptr;
    return prefix_part().build_model(ctx);
  }

  std::shared_ptr<unipelt_layer> build_layer(const model::layer_context& ctx) const {
    check();
    if (!layer_selected(layers_to_transform_, ctx.index)) return nullptr;
    std::shared_ptr<prefix_encoder> encoder;
    if (num_virtual_tokens_ > 0) {
      if (!ctx.embeddings) throw error("unipelt: a layer built on its own has no prefix encoder; use num_virtual_tokens(0)");
      auto named = ctx.embeddings->named_modules("", false);
      auto* it = named.find("peft." + std::string(name));
      if (!it) throw error("unipelt: the embeddings carry no prefix encoder");
      encoder = std::dynamic_pointer_cast<prefix_encoder>(*it);
    }
    std::int64_t slot = 0;
    for (std::int64_t l = 0; l < ctx.index; ++l) slot += layer_selected(layers_to_transform_, l);
    auto modules = ctx.layer.named_modules("", false);
    auto* q = modules["attention.self.query"]->as<torch::nn::Linear>();
    auto* v = modules["attention.self.value"]->as<torch::nn::Linear>();
    const unipelt_layer::sizes z{ctx.config.hidden_size, r_, bottleneck_size_, lora_alpha_ / static_cast<double>(r_),
                                 lora_dropout_, non_linearity_};
    return std::make_shared<unipelt_layer>(z, *q, *v, std::move(encoder), slot);
  }

  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    return layer_parameters(c) + (num_virtual_tokens_ > 0 ? prefix_part().trainable_parameters(c) : 0);
  }
  [[nodiscard]] std::int64_t stored_parameters(const model::EncoderConfig& c) const {
    return layer_parameters(c) + (num_virtual_tokens_ > 0 ? prefix_part().stored_parameters(c) : 0);
  }

 private:
  /// LoRA, adapter and gates of every selected layer (the prefix aside).
  [[nodiscard]] std::int64_t layer_parameters(const model::EncoderConfig& c) const {
    check();
    std::int64_t layers = 0;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) layers += layer_selected(layers_to_transform_, l);
    const auto h = c.hidden_size;
    const auto gates = num_virtual_tokens_ > 0 ? 3 : 2;
    return layers * (2 * r_ * 2 * h + bottleneck::count(h, bottleneck_size_) + gates * (h + 1));
  }

  void check() const {
    if (r_ <= 0) throw error("unipelt: option 'r' must be positive, got " + std::to_string(r_));
    if (bottleneck_size_ <= 0) throw error("unipelt: option 'bottleneck_size' must be positive");
    if (num_virtual_tokens_ < 0) throw error("unipelt: option 'num_virtual_tokens' must be 0 (no prefix) or positive");
  }
};

}  // namespace autopeft::peft
