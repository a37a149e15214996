#pragma once
// Sequence classification and regression heads over the encoder, as HF's
// BertForSequenceClassification (`bert.*`, `classifier.{weight,bias}` on the pooled output) and
// RobertaForSequenceClassification (`roberta.*` without pooler, `classifier.dense` + tanh +
// `classifier.out_proj` on the first token). num_labels == 1 means regression (MSE loss).
#include <autopeft/model/encoder_model.hpp>
#include <autopeft/model/peft_plan.hpp>

#include <torch/torch.h>

namespace autopeft::model {

template <class Peft = no_peft>
class SequenceClassifierImpl : public torch::nn::Module {
 public:
  explicit SequenceClassifierImpl(EncoderConfig config, Peft peft = {}) : config_(std::move(config)) {
    const bool bert = config_.model_type == architecture::bert;
    backbone = register_module(to_string(config_.model_type), EncoderModel<Peft>(config_, bert, std::move(peft)));
    const auto h = config_.hidden_size;
    if (bert) {
      classifier = register_module("classifier", torch::nn::Linear(h, config_.num_labels));
    } else {
      auto head = register_module("classifier", std::make_shared<torch::nn::Module>("classifier"));
      dense = head->register_module("dense", torch::nn::Linear(h, h));
      classifier = head->register_module("out_proj", torch::nn::Linear(h, config_.num_labels));
    }
    init_head();
  }

  /// Returns logits [B, num_labels] (regression: [B, 1]).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {},
                        const torch::Tensor& token_type_ids = {}) {
    auto out = backbone->forward(input_ids, attention_mask, token_type_ids);
    const double p = config_.head_dropout();
    if (!dense) return classifier->forward(torch::dropout(out.pooler_output, p, is_training()));
    auto x = torch::dropout(out.last_hidden_state.select(1, 0), p, is_training());
    x = torch::dropout(torch::tanh(dense->forward(x)), p, is_training());
    return classifier->forward(x);
  }

  /// Cross-entropy for labels [B] int64, or MSE for regression targets [B] float.
  [[nodiscard]] torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& labels) const {
    if (config_.is_regression())
      return torch::mse_loss(logits.squeeze(-1).to(torch::kFloat), labels.to(torch::kFloat));
    return torch::cross_entropy_loss(logits.to(torch::kFloat), labels);
  }

  void init_head(double initializer_range = 0.02) {
    torch::NoGradGuard no_grad;
    for (auto* l : {&dense, &classifier})
      if (*l) {
        (*l)->weight.normal_(0, initializer_range);
        (*l)->bias.zero_();
      }
  }

  [[nodiscard]] const EncoderConfig& config() const { return config_; }
  [[nodiscard]] const Peft& peft() const { return backbone->peft(); }
  void reset_peft(Peft peft) { backbone->reset_peft(std::move(peft)); }

  EncoderModel<Peft> backbone{nullptr};
  torch::nn::Linear dense{nullptr};       ///< RoBERTa's classifier.dense; null for BERT
  torch::nn::Linear classifier{nullptr};  ///< BERT's classifier / RoBERTa's classifier.out_proj

 private:
  EncoderConfig config_;
};

/// Peft: a plan (peft::plan<...>; model::peft_plan), checked here with one readable message.
template <class Peft = no_peft>
class SequenceClassifier : public torch::nn::ModuleHolder<SequenceClassifierImpl<detail::checked_plan_t<Peft>>> {
 public:
  using torch::nn::ModuleHolder<SequenceClassifierImpl<detail::checked_plan_t<Peft>>>::ModuleHolder;
};

}  // namespace autopeft::model
