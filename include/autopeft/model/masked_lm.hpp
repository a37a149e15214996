#pragma once
// The masked-LM head with its decoder tied to the word embeddings, as HF's BertForMaskedLM
// (`bert.*`, `cls.predictions.{transform.dense, transform.LayerNorm, bias}`) and
// RobertaForMaskedLM (`roberta.*`, `lm_head.{dense, layer_norm, bias}`). Neither has a pooler.
#include <autopeft/model/encoder_model.hpp>
#include <autopeft/model/peft_plan.hpp>

#include <torch/torch.h>

namespace autopeft::model {

template <class Peft = no_peft>
class MaskedLMImpl : public torch::nn::Module {
 public:
  explicit MaskedLMImpl(EncoderConfig config, Peft peft = {}) : config_(std::move(config)) {
    const bool bert = config_.model_type == architecture::bert;
    backbone = register_module(to_string(config_.model_type), EncoderModel<Peft>(config_, false, std::move(peft)));
    const auto h = config_.hidden_size;
    auto ln = torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(config_.layer_norm_eps));
    std::shared_ptr<torch::nn::Module> head;
    if (bert) {
      auto cls = register_module("cls", std::make_shared<torch::nn::Module>("cls"));
      head = cls->register_module("predictions", std::make_shared<torch::nn::Module>("predictions"));
      auto transform = head->register_module("transform", std::make_shared<torch::nn::Module>("transform"));
      dense = transform->register_module("dense", torch::nn::Linear(h, h));
      layer_norm = transform->register_module("LayerNorm", ln);
      act_ = activation(config_.hidden_act);
    } else {
      head = register_module("lm_head", std::make_shared<torch::nn::Module>("lm_head"));
      dense = head->register_module("dense", torch::nn::Linear(h, h));
      layer_norm = head->register_module("layer_norm", ln);
      act_ = activation("gelu");
    }
    bias = head->register_parameter("bias", torch::zeros({config_.vocab_size}));
    torch::NoGradGuard no_grad;
    dense->weight.normal_(0, 0.02);
    dense->bias.zero_();
  }

  /// Returns vocabulary logits [B, S, V].
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                        const torch::Tensor& token_type_ids = {}) {
    auto x = backbone->forward(input_ids, attention_mask, token_type_ids).last_hidden_state;
    x = layer_norm->forward(act_(dense->forward(x)));
    return torch::linear(x, backbone->embeddings->word_embeddings->weight, bias);
  }

  /// Cross-entropy over positions whose label is not -100 (HF's ignore index).
  [[nodiscard]] static torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& labels) {
    return torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(-1)}).to(torch::kFloat), labels.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  }

  [[nodiscard]] const EncoderConfig& config() const { return config_; }
  [[nodiscard]] const Peft& peft() const { return backbone->peft(); }
  void reset_peft(Peft peft) { backbone->reset_peft(std::move(peft)); }

  EncoderModel<Peft> backbone{nullptr};
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::Tensor bias;

 private:
  EncoderConfig config_;
  activation act_;
};

/// Peft: a plan (peft::plan<...>; model::peft_plan), checked here with one readable message.
template <class Peft = no_peft>
class MaskedLM : public torch::nn::ModuleHolder<MaskedLMImpl<detail::checked_plan_t<Peft>>> {
 public:
  using torch::nn::ModuleHolder<MaskedLMImpl<detail::checked_plan_t<Peft>>>::ModuleHolder;
};

}  // namespace autopeft::model
