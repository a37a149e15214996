#pragma once
// A decoder with HF's causal-LM head (LlamaForCausalLM and its kin): logits over the
// vocabulary at every position, the shifted next-token loss with -100 labels ignored, and
// greedy or sampled generation with a KV cache.
//
// Example:
//   model::DecoderConfig c;
//   c.vocab_size = 100, c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2;
//   c.num_attention_heads = 4, c.num_key_value_heads = 2;
//   model::CausalLM lm(c);
//   auto ids = torch::randint(100, {2, 8});
//   auto loss = model::causal_lm_loss(lm(ids), ids);
//   auto out = lm->generate(ids, {}, {.max_new_tokens = 16});
#include <autopeft/error.hpp>
#include <autopeft/model/decoder_config.hpp>
#include <autopeft/model/decoder_model.hpp>
#include <autopeft/model/kv_cache.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <limits>
#include <optional>

namespace autopeft::model {

/// Mean cross-entropy of logits [B, S, V] at position t against labels [B, S] at t + 1 (the
/// shift is done here, as HF does); labels of -100 (prompts, padding) are ignored.
inline torch::Tensor causal_lm_loss(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto V = logits.size(-1);
  const auto shifted = logits.narrow(1, 0, logits.size(1) - 1).reshape({-1, V}).to(torch::kFloat32);
  const auto targets = labels.narrow(1, 1, labels.size(1) - 1).reshape({-1}).to(logits.device());
  return torch::nn::functional::cross_entropy(shifted, targets, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

struct GenerationOptions {
  std::int64_t max_new_tokens = 32;
  bool do_sample = false;  ///< false: greedy
  double temperature = 1.0;
  std::int64_t top_k = 0;  ///< 0: the whole vocabulary
  std::optional<std::int64_t> eos_token_id;  ///< a sequence that emits it is padded after it
  std::optional<std::int64_t> pad_token_id;  ///< what pads a finished sequence (default: eos)
};

class CausalLMImpl : public torch::nn::Module {
 public:
  explicit CausalLMImpl(const DecoderConfig& c) : model(register_module("model", DecoderModel(c))) {
    // Tied embeddings: the head reads the embedding matrix and has no weight of its own, as HF's
    // checkpoints of such models hold no lm_head.weight.
    if (!c.tie_word_embeddings)
      lm_head = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(c.hidden_size, c.vocab_size).bias(false)));
  }

  /// The logits [B, S, V]; arguments as DecoderModel::forward.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {}, KVCache* cache = nullptr,
                        const torch::Tensor& position_ids = {}) {
    const auto h = model(input_ids, attention_mask, cache, position_ids);
    return lm_head ? lm_head(h) : torch::nn::functional::linear(h, model->embed_tokens->weight);
  }

  /// input_ids [B, S] followed by up to max_new_tokens generated ones, [B, S + n]. With left
  /// padding (attention_mask [B, S], 0 before each prompt) positions count from each prompt's
  /// first token, as HF's generate does. Runs without gradients.
  torch::Tensor generate(const torch::Tensor& input_ids, const torch::Tensor& attention_mask = {}, const GenerationOptions& o = {}) {
    if (o.max_new_tokens < 0) throw error("CausalLM::generate: max_new_tokens must be >= 0");
    if (o.do_sample && !(o.temperature > 0)) throw error("CausalLM::generate: temperature must be positive when sampling");
    torch::NoGradGuard no_grad;
    const auto B = input_ids.size(0);
    auto mask = attention_mask.defined() ? attention_mask.to(torch::kLong) : torch::ones_like(input_ids, torch::kLong);
    auto positions = [](const torch::Tensor& m) { return (m.cumsum(1) - 1).clamp_min(0); };
    KVCache cache(model->config().num_hidden_layers);
    auto out = input_ids;
    auto logits = forward(input_ids, mask, &cache, positions(mask));
    auto finished = torch::zeros({B}, torch::TensorOptions().dtype(torch::kBool).device(input_ids.device()));
    const auto pad = o.pad_token_id.value_or(o.eos_token_id.value_or(0));
    for (std::int64_t step = 0; step < o.max_new_tokens; ++step) {
      auto last = logits.select(1, logits.size(1) - 1).to(torch::kFloat32);
      torch::Tensor next;
      if (o.do_sample) {
        last = last / o.temperature;
        if (o.top_k > 0 && o.top_k < last.size(-1)) {
          const auto kth = std::get<0>(last.topk(o.top_k, -1)).narrow(-1, o.top_k - 1, 1);
          last = last.masked_fill(last < kth, -std::numeric_limits<float>::infinity());
        }
        next = torch::multinomial(torch::softmax(last, -1), 1).squeeze(-1);
      } else {
        next = last.argmax(-1);
      }
      next = torch::where(finished, torch::full_like(next, pad), next);
      out = torch::cat({out, next.unsqueeze(1)}, 1);
      if (o.eos_token_id) finished = finished | next.eq(*o.eos_token_id);
      if (finished.all().item<bool>() || step + 1 == o.max_new_tokens) break;
      mask = torch::cat({mask, torch::ones({B, 1}, mask.options())}, 1);
      const auto pos = positions(mask).narrow(1, mask.size(1) - 1, 1);
      logits = forward(next.unsqueeze(1), mask, &cache, pos);
    }
    return out;
  }

  DecoderModel model;
  torch::nn::Linear lm_head{nullptr};
};
TORCH_MODULE(CausalLM);

}  // namespace autopeft::model
