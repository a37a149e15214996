#pragma once
// The encoder backbone: HF's BertModel / RobertaModel, with module names
// `embeddings.*`, `encoder.layer.<i>.*` and `pooler.dense`.
#include <autopeft/model/attention_mask.hpp>
#include <autopeft/model/embeddings.hpp>
#include <autopeft/model/encoder_layer.hpp>
#include <autopeft/model/peft_plan.hpp>

#include <torch/torch.h>

#include <string>
#include <vector>

namespace autopeft::model {

struct EncoderOutput {
  torch::Tensor last_hidden_state;  ///< [B, P + S, H] (P virtual prompt tokens, if any)
  torch::Tensor pooler_output;      ///< [B, H], tanh(dense(first token)); undefined without pooler
  torch::Tensor attention_mask;     ///< [B, P + S], the mask the layers saw
};

/// Example:
///   auto config = EncoderConfig::load("bert/config.json");
///   EncoderModel<> bert(config);                   // with pooler
///   auto out = bert->forward(ids, mask);           // out.last_hidden_state [B, S, H]
template <class Peft = no_peft>
class EncoderModelImpl : public torch::nn::Module {
 public:
  explicit EncoderModelImpl(EncoderConfig config, bool add_pooling_layer = true, Peft peft = {})
      : config_(std::move(config)), peft_(std::move(peft)) {
    config_.validate();
    embeddings = register_module("embeddings", Embeddings<Peft>(config_, peft_));
    auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>("encoder"));
    auto list = encoder->register_module("layer", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < config_.num_hidden_layers; ++i) {
      layers.emplace_back(config_, i, peft_, embeddings.ptr().get());
      list->push_back(layers.back());
    }
    if (add_pooling_layer) {
      auto pooler = register_module("pooler", std::make_shared<torch::nn::Module>("pooler"));
      pooler_dense = pooler->register_module("dense", torch::nn::Linear(config_.hidden_size, config_.hidden_size));
    }
    init_weights();
    // PEFT modules that derive from base weights (DoRA, prompt TEXT init) see the initialised ones.
    if constexpr (!std::is_same_v<Peft, no_peft>) reset_peft(peft_);
  }

  EncoderModelImpl(EncoderConfig config, Peft peft)
      : EncoderModelImpl(std::move(config), true, std::move(peft)) {}

  /// input_ids [B, S] int64; attention_mask [B, S] (1 = token, 0 = padding) and
  /// token_type_ids [B, S] are optional. Without a mask (nothing padded) attention runs
  /// unmasked, which lets LibTorch 2.x pick its flash-attention kernel.
  EncoderOutput forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                        const torch::Tensor& token_type_ids = {}) {
    auto emb = embeddings->forward(input_ids, attention_mask, token_type_ids);
    auto x = emb.embeddings;
    // With no mask given, every position (soft prompts included) is attended: an all-zero
    // additive mask would change nothing but the kernel.
    const auto mask = attention_mask.defined() ? additive_mask(emb.attention_mask, x.scalar_type()) : torch::Tensor();
    for (auto& layer : layers) x = layer->forward(x, mask);
    EncoderOutput out{x, {}, emb.attention_mask};
    if (pooler_dense) out.pooler_output = torch::tanh(pooler_dense->forward(x.select(1, 0)));
    return out;
  }

  /// HF's initialisation: N(0, initializer_range) weights, zero biases and padding row,
  /// LayerNorms at identity.
  /// Only backbone modules are touched: PEFT modules keep their own initialisation.
  void init_weights(double initializer_range = 0.02) {
    torch::NoGradGuard no_grad;
    auto linear = [&](torch::nn::Linear& l) {
      l->weight.normal_(0, initializer_range);
      l->bias.zero_();
    };
    auto norm = [](torch::nn::LayerNorm& ln) {
      ln->weight.fill_(1);
      ln->bias.zero_();
    };
    auto& e = *embeddings;
    for (auto* t : {&e.word_embeddings, &e.position_embeddings, &e.token_type_embeddings})
      (*t)->weight.normal_(0, initializer_range);
    e.word_embeddings->weight[config_.pad_token_id].zero_();
    norm(e.LayerNorm);
    for (auto& layer : layers) {
      for (auto s : linear_sites) linear(layer->linear(s));
      norm(layer->attention_layer_norm);
      norm(layer->output_layer_norm);
    }
    if (pooler_dense) linear(pooler_dense);
  }

  [[nodiscard]] const EncoderConfig& config() const { return config_; }
  /// The plan object: the options of the PEFT policies the model was built with.
  [[nodiscard]] const Peft& peft() const { return peft_; }

  /// Rebuilds every PEFT module for a new plan of the same family, on the resident backbone:
  /// no backbone weight is copied, moved or reloaded. New modules end on the device and in the
  /// floating dtype of the word embeddings (integer buffers keep their type). Modules that
  /// derive from base weights (DoRA's magnitude) read the weights the backbone holds now, so
  /// call this after loading them.
  void reset_peft(Peft peft) {
    peft_ = std::move(peft);
    embeddings->reset_peft(peft_);
    for (auto& layer : layers) layer->reset_peft(peft_, embeddings.ptr().get());
    // LibTorch's factories have no default device, so policies build on the CPU; then only the
    // PEFT tensors (keys with a `.peft.` component) move, one by one: the backbone is already in
    // place, and Module::to(device, dtype) would also cast integer buffers (a Fastfood
    // permutation) to the floating dtype.
    const auto& w = embeddings->word_embeddings->weight;
    auto place = [&](torch::Tensor t) {
      const auto dtype = t.is_floating_point() ? w.scalar_type() : t.scalar_type();
      if (t.device() != w.device() || t.scalar_type() != dtype) t.set_data(t.to(w.device(), dtype));
    };
    auto is_peft = [](const std::string& key) { return ("." + key).find(".peft.") != std::string::npos; };
    for (auto& p : named_parameters(true))
      if (is_peft(p.key())) place(p.value());
    for (auto& b : named_buffers(true))
      if (is_peft(b.key())) place(b.value());
  }
  [[nodiscard]] bool has_pooler() const { return static_cast<bool>(pooler_dense); }

  void pretty_print(std::ostream& os) const override {
    os << "autopeft::model::EncoderModel(" << to_string(config_.model_type)
       << ", layers=" << config_.num_hidden_layers << ", hidden=" << config_.hidden_size
       << ", pooler=" << (pooler_dense ? "yes" : "no") << ")";
  }

  Embeddings<Peft> embeddings{nullptr};
  std::vector<EncoderLayer<Peft>> layers;
  torch::nn::Linear pooler_dense{nullptr};

 private:
  EncoderConfig config_;
  Peft peft_;
};

/// Peft: a plan (peft::plan<...>; model::peft_plan), checked here with one readable message.
template <class Peft = no_peft>
class EncoderModel : public torch::nn::ModuleHolder<EncoderModelImpl<detail::checked_plan_t<Peft>>> {
 public:
  using torch::nn::ModuleHolder<EncoderModelImpl<detail::checked_plan_t<Peft>>>::ModuleHolder;
};

}  // namespace autopeft::model
