#pragma once
// One post-LayerNorm transformer block, with HF's module names:
//   attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
//   intermediate.dense, output.{dense,LayerNorm}.
// Data flow, with the PEFT sites in brackets:
//   q,k,v = [query|key|value](x);  k,v = [prefix] ++ k,v
//   a = [after_attention](dropout([attention_output](attend(q,k,v))))
//   h = [attention_layer_norm](a + x)
//   f = dropout([output](act([intermediate](h))))
//   y = [output_layer_norm]([after_ffn / parallel_ffn](f, h) + h)
#include <autopeft/model/activation.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/model/scaled_dot_product_attention.hpp>

#include <torch/torch.h>

namespace autopeft::model {

template <class Peft = no_peft>
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(EncoderConfig config, std::int64_t index, const Peft& peft = {},
                   torch::nn::Module* embeddings = nullptr)
      : config_(std::move(config)), index_(index), act_(config_.hidden_act) {
    const auto h = config_.hidden_size, i = config_.intermediate_size;
    auto ln = [&] {
      return torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(config_.layer_norm_eps));
    };
    attention_ = register_module("attention", std::make_shared<torch::nn::Module>("attention"));
    auto self = attention_->register_module("self", std::make_shared<torch::nn::Module>("self"));
    query = self->register_module("query", torch::nn::Linear(h, h));
    key = self->register_module("key", torch::nn::Linear(h, h));
    value = self->register_module("value", torch::nn::Linear(h, h));
    auto attn_out = attention_->register_module("output", std::make_shared<torch::nn::Module>("output"));
    attention_dense = attn_out->register_module("dense", torch::nn::Linear(h, h));
    attention_layer_norm = attn_out->register_module("LayerNorm", ln());
    auto inter = register_module("intermediate", std::make_shared<torch::nn::Module>("intermediate"));
    intermediate_dense = inter->register_module("dense", torch::nn::Linear(h, i));
    auto out = register_module("output", std::make_shared<torch::nn::Module>("output"));
    output_dense = out->register_module("dense", torch::nn::Linear(i, h));
    output_layer_norm = out->register_module("LayerNorm", ln());
    hooks_.emplace(layer_context{config_, index_, *this, embeddings}, peft, *this);
  }

  /// x [B, S, H]; mask additive [B, 1, 1, S] or undefined. Returns [B, S, H].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {}) {
    auto& hk = **hooks_;
    const auto b = x.size(0), s = x.size(1);
    const auto nh = config_.num_attention_heads, d = config_.head_dim();
    auto heads = [&](const torch::Tensor& t) { return t.view({b, -1, nh, d}).transpose(1, 2); };
    auto q = heads(hk.project(site::query, x, *query));
    auto k = heads(hk.project(site::key, x, *key));
    auto v = heads(hk.project(site::value, x, *value));
    auto m = mask;
    if (auto extra = hk.prefix(b)) {
      k = torch::cat({extra->first.to(k.scalar_type()), k}, 2);
      v = torch::cat({extra->second.to(v.scalar_type()), v}, 2);
      if (m.defined()) {
        auto open = torch::zeros({b, 1, m.size(2), extra->first.size(2)}, m.options());
        m = torch::cat({open, m.expand({b, 1, m.size(2), m.size(3)})}, 3);
      }
    }
    auto ctx = scaled_dot_product_attention(q, k, v, m, config_.attention_probs_dropout_prob,
                                            is_training());
    ctx = ctx.transpose(1, 2).reshape({b, s, nh * d});
    auto a = torch::dropout(hk.project(site::attention_output, ctx, *attention_dense),
                            config_.hidden_dropout_prob, is_training());
    a = hk.after_attention(a);
    auto h = hk.layer_norm(site::attention_layer_norm, a + x, *attention_layer_norm);
    auto f = act_(hk.project(site::intermediate, h, *intermediate_dense));
    f = torch::dropout(hk.project(site::output, f, *output_dense), config_.hidden_dropout_prob,
                       is_training());
    f = hk.after_ffn(f, h);
    return hk.layer_norm(site::output_layer_norm, f + h, *output_layer_norm);
  }

  /// The Linear module at a linear site.
  torch::nn::Linear& linear(site s) {
    switch (s) {
      case site::query: return query;
      case site::key: return key;
      case site::value: return value;
      case site::attention_output: return attention_dense;
      case site::intermediate: return intermediate_dense;
      case site::output: return output_dense;
      default: throw error(std::string("site '") + std::string(to_string(s)) + "' is not a linear site");
    }
  }
  /// The LayerNorm at a LayerNorm site.
  torch::nn::LayerNorm& layer_norm(site s) {
    if (s == site::attention_layer_norm) return attention_layer_norm;
    if (s == site::output_layer_norm) return output_layer_norm;
    throw error(std::string("site '") + std::string(to_string(s)) + "' is not a LayerNorm site of a layer");
  }

  [[nodiscard]] std::int64_t index() const { return index_; }
  [[nodiscard]] const EncoderConfig& config() const { return config_; }
  typename Peft::layer_hooks& hooks() { return **hooks_; }
  /// Rebuilds the PEFT modules for a new plan; the layer's weights are untouched.
  void reset_peft(const Peft& peft, torch::nn::Module* embeddings = nullptr) {
    hooks_.reset();
    hooks_.emplace(layer_context{config_, index_, *this, embeddings}, peft, *this);
  }

  void pretty_print(std::ostream& os) const override {
    os << "autopeft::model::EncoderLayer(index=" << index_ << ", hidden=" << config_.hidden_size
       << ", heads=" << config_.num_attention_heads << ", ffn=" << config_.intermediate_size << ")";
  }

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, attention_dense{nullptr},
      intermediate_dense{nullptr}, output_dense{nullptr};
  torch::nn::LayerNorm attention_layer_norm{nullptr}, output_layer_norm{nullptr};

 private:
  EncoderConfig config_;
  std::int64_t index_;
  activation act_;
  std::shared_ptr<torch::nn::Module> attention_;
  std::optional<hook_holder<typename Peft::layer_hooks>> hooks_;
};

template <class Peft = no_peft>
class EncoderLayer : public torch::nn::ModuleHolder<EncoderLayerImpl<Peft>> {
 public:
  using torch::nn::ModuleHolder<EncoderLayerImpl<Peft>>::ModuleHolder;
};

}  // namespace autopeft::model
