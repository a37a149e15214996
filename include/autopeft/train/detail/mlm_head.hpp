#pragma once
// The masked-LM head applied to the selected positions only. Pretraining predicts about 15% of
// the tokens, and the vocabulary projection dominates a small model's cost, so computing logits
// for the selected rows alone saves most of it. Same arithmetic as model::MaskedLMImpl::forward.
#include <autopeft/model/activation.hpp>
#include <autopeft/model/masked_lm.hpp>

#include <torch/torch.h>

namespace autopeft::train::detail {

/// hidden [N, H] (rows of the backbone's last hidden state) -> logits [N, V].
template <class Peft>
torch::Tensor masked_lm_logits(model::MaskedLMImpl<Peft>& m, const torch::Tensor& hidden) {
  const auto& c = m.config();
  const model::activation act(c.model_type == model::architecture::bert ? c.hidden_act : std::string("gelu"));
  auto x = m.layer_norm->forward(act(m.dense->forward(hidden)));
  return torch::linear(x, m.backbone->embeddings->word_embeddings->weight, m.bias);
}

}  // namespace autopeft::train::detail
