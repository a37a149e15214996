#pragma once
// Word + learned absolute position + token-type embeddings, LayerNorm and dropout.
// BERT numbers positions 0..S-1; RoBERTa numbers non-padding tokens from pad_token_id + 1 and
// gives padding the position pad_token_id (fairseq's convention, kept by HF).
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/no_peft.hpp>

#include <torch/torch.h>

namespace autopeft::model {

/// Positions of `input_ids` [B, S] for the config's architecture, [B, S] int64.
inline torch::Tensor position_ids_for(const EncoderConfig& c, const torch::Tensor& input_ids) {
  if (c.model_type == architecture::roberta) {
    auto mask = input_ids.ne(c.pad_token_id).to(torch::kLong);
    return torch::cumsum(mask, 1) * mask + c.pad_token_id;
  }
  return torch::arange(input_ids.size(1), input_ids.options().dtype(torch::kLong))
      .unsqueeze(0)
      .expand_as(input_ids);
}

template <class Peft = no_peft>
class EmbeddingsImpl : public torch::nn::Module {
 public:
  explicit EmbeddingsImpl(EncoderConfig config, const Peft& peft = {}) : config_(std::move(config)) {
    word_embeddings = register_module(
        "word_embeddings",
        torch::nn::Embedding(torch::nn::EmbeddingOptions(config_.vocab_size, config_.hidden_size)
                                 .padding_idx(config_.pad_token_id)));
    position_embeddings = register_module(
        "position_embeddings",
        torch::nn::Embedding(config_.max_position_embeddings, config_.hidden_size));
    token_type_embeddings = register_module(
        "token_type_embeddings", torch::nn::Embedding(config_.type_vocab_size, config_.hidden_size));
    LayerNorm = register_module(
        "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.hidden_size})
                                              .eps(config_.layer_norm_eps)));
    hooks_.emplace(embedding_context{config_, *this}, peft, *this);
  }

  struct output {
    torch::Tensor embeddings;      ///< [B, P + S, H]
    torch::Tensor attention_mask;  ///< [B, P + S], the input mask with P virtual tokens prepended
  };

  /// input_ids [B, S] int64; attention_mask and token_type_ids [B, S] or undefined.
  output forward(const torch::Tensor& input_ids, torch::Tensor attention_mask = {},
                 torch::Tensor token_type_ids = {}) {
    check_ids(input_ids, token_type_ids);
    auto x = word_embeddings->forward(input_ids);
    const auto b = input_ids.size(0), s = input_ids.size(1);
    auto& hk = **hooks_;
    const auto p = hk.prompt(x);
    const auto shift = hk.position_offset();
    if (!attention_mask.defined()) attention_mask = torch::ones({b, s}, input_ids.options());
    if (!token_type_ids.defined()) token_type_ids = torch::zeros({b, s}, input_ids.options());
    torch::Tensor positions;
    if (p > 0) {
      // Virtual tokens attend and are attended; they take token type 0. Positions run over the
      // whole extended sequence, as HF computes them for `inputs_embeds`.
      attention_mask = torch::cat({torch::ones({b, p}, attention_mask.options()), attention_mask}, 1);
      token_type_ids = torch::cat({torch::zeros({b, p}, token_type_ids.options()), token_type_ids}, 1);
      const auto offset = config_.model_type == architecture::roberta ? config_.pad_token_id + 1 : 0;
      positions = (torch::arange(p + s, input_ids.options().dtype(torch::kLong)) + offset)
                      .unsqueeze(0)
                      .expand({b, p + s});
    } else {
      positions = position_ids_for(config_, input_ids);
    }
    if (shift > 0) {
      // RoBERTa shifts only real tokens; padding keeps pad_token_id (as HF does).
      positions = config_.model_type == architecture::roberta
                      ? positions + shift * positions.ne(config_.pad_token_id)
                      : positions + shift;
    }
    const auto first = config_.model_type == architecture::roberta ? config_.pad_token_id + 1 : 0;
    if (first + p + s + shift > config_.max_position_embeddings)
      throw error("a sequence of " + std::to_string(p + s) + " tokens needs positions up to " +
                  std::to_string(first + p + s + shift - 1) + " but max_position_embeddings is " +
                  std::to_string(config_.max_position_embeddings) + ": truncate the input");
    x = x + position_embeddings->forward(positions) + token_type_embeddings->forward(token_type_ids);
    x = hk.layer_norm(x, *LayerNorm);
    x = torch::dropout(x, config_.hidden_dropout_prob, is_training());
    return {x, attention_mask};
  }

  [[nodiscard]] const EncoderConfig& config() const { return config_; }
  typename Peft::embedding_hooks& hooks() { return **hooks_; }
  /// Rebuilds the PEFT modules for a new plan; the embedding weights are untouched.
  void reset_peft(const Peft& peft) {
    hooks_.reset();
    hooks_.emplace(embedding_context{config_, *this}, peft, *this);
  }

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
      token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};  // NOLINT: HF's name, which state-dict keys carry

 private:
  void check_ids(const torch::Tensor& ids, const torch::Tensor& types) const {
    if (ids.dim() != 2) throw error("input_ids must be [batch, seq], got " + std::to_string(ids.dim()) + " dims");
    if (ids.scalar_type() != torch::kLong) throw error("input_ids must be int64");
    // The range checks read values back, so they run on CPU tensors only: on a GPU, .item()
    // would block the host until the device catches up, on every forward pass. Batches are
    // built on the CPU, so train::trainer and train::mlm_pretrainer check their ids there; a
    // bad id on a GPU still stops the embedding kernel, with a device-side assert.
    if (ids.device().is_cpu() && ids.numel() > 0) {
      auto [lo, hi] = torch::aminmax(ids);
      if (lo.item<std::int64_t>() < 0 || hi.item<std::int64_t>() >= config_.vocab_size)
        throw error("input_ids hold a token id outside [0, vocab_size=" +
                    std::to_string(config_.vocab_size) + "): is the tokenizer the model's?");
    }
    if (types.defined()) {
      if (types.sizes() != ids.sizes()) throw error("token_type_ids must have the shape of input_ids");
      if (types.device().is_cpu() && types.numel() > 0 &&
          (types.min().item<std::int64_t>() < 0 || types.max().item<std::int64_t>() >= config_.type_vocab_size))
        throw error("token_type_ids hold a value outside [0, type_vocab_size=" +
                    std::to_string(config_.type_vocab_size) + ")");
    }
  }

  EncoderConfig config_;
  std::optional<hook_holder<typename Peft::embedding_hooks>> hooks_;
};

template <class Peft = no_peft>
class Embeddings : public torch::nn::ModuleHolder<EmbeddingsImpl<Peft>> {
 public:
  using torch::nn::ModuleHolder<EmbeddingsImpl<Peft>>::ModuleHolder;
};

}  // namespace autopeft::model
