#pragma once
// A decoder with HF's sequence-classification head (LlamaForSequenceClassification and its
// kin): a bias-free `score` Linear on the hidden state of each sequence's last token that is
// not padding, which works for left and right padding alike.
#include <autopeft/error.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/decoder_model.hpp>

#include <torch/torch.h>

#include <cstdint>

namespace autopeft::model {

/// The index [B] of each row's last token that is not `pad_token_id` (the last token when
/// there is no pad token; then a batch must hold one sequence, as in HF).
inline torch::Tensor last_non_pad_token(const torch::Tensor& input_ids, std::int64_t pad_token_id) {
  const auto B = input_ids.size(0), S = input_ids.size(1);
  if (pad_token_id < 0) {
    if (B > 1)
      throw error("DecoderSequenceClassifier: the configuration has no pad_token_id, so a batch of several sequences "
                  "cannot say where each ends; set pad_token_id in config.json");
    return torch::full({B}, S - 1, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  }
  const auto index = torch::arange(S, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  return (index * input_ids.ne(pad_token_id).to(torch::kLong)).argmax(-1);
}

class DecoderSequenceClassifierImpl : public torch::nn::Module {
 public:
  explicit DecoderSequenceClassifierImpl(const DecoderConfig& c)
      : model(register_module("model", DecoderModel(c))),
        score(register_module("score", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.num_labels).bias(false)))) {}

  /// The logits [B, num_labels] of input_ids [B, S] with attention_mask [B, S] (or undefined).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {}) {
    const auto per_token = score(model(input_ids, attention_mask));
    const auto last = last_non_pad_token(input_ids, model->config().pad_token_id);
    const auto rows = torch::arange(input_ids.size(0), last.options());
    return per_token.index({rows, last});
  }

  DecoderModel model;
  torch::nn::Linear score{nullptr};
};
TORCH_MODULE(DecoderSequenceClassifier);

}  // namespace autopeft::model
