#pragma once
// Prompt tuning (Lester et al., 2021, "The Power of Scale for Parameter-Efficient Prompt
// Tuning"): P trainable virtual-token embeddings E ∈ R^{P×H} prepended to the word embeddings
// of every input (attention mask extended with ones, token types with zeros, positions running
// over the whole extended sequence, as HF PEFT feeds `inputs_embeds`). Count P·H.
// Initialisation: N(0, 1) as HF's "RANDOM", or copies of given vocabulary rows ("TEXT").
#include <autopeft/error.hpp>
#include <autopeft/model/no_peft.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>
#include <autopeft/peft/size_member.hpp>

#include <torch/torch.h>

namespace autopeft::peft {

class prompt_embedding : public torch::nn::Module {
 public:
  explicit prompt_embedding(std::int64_t virtual_tokens, std::int64_t hidden) {
    embedding = register_module("embedding", torch::nn::Embedding(virtual_tokens, hidden));
  }
  std::int64_t prompt(torch::Tensor& inputs_embeds) {
    const auto b = inputs_embeds.size(0);
    auto e = embedding->weight.to(inputs_embeds.scalar_type()).unsqueeze(0).expand({b, -1, -1});
    inputs_embeds = torch::cat({e, inputs_embeds}, 1);
    return embedding->weight.size(0);
  }
  torch::nn::Embedding embedding{nullptr};
};

/// Example:
///   auto p = peft::prompt_tuning{}.num_virtual_tokens(20);
struct prompt_tuning {
  static constexpr std::string_view name = "prompt_tuning";
  using layer_module = void;
  using model_module = prompt_embedding;

  TORCH_ARG(std::int64_t, num_virtual_tokens) = 20;
  /// Token ids whose word embeddings initialise the prompt (HF's "TEXT" init), cycled to length;
  /// empty: random N(0, 1).
  TORCH_ARG(std::vector<std::int64_t>, init_token_ids) = {};

 public:  // TORCH_ARG leaves the access private
  /// The size a search space's size_of<prompt_tuning, D> sets.
  using size_option = size_member<&prompt_tuning::num_virtual_tokens_>;

  // HF PEFT's adapter format (PromptTuningConfig; peft/adapter_io.hpp).
  static constexpr std::string_view peft_type = "PROMPT_TUNING";
  /// HF's prompt learning: the adapter file holds `prompt_embeddings`, and the PeftModel wraps
  /// the transformers model one level less (the head is "base_model.classifier.weight").
  static constexpr bool hf_prompt_learning = true;
  [[nodiscard]] nlohmann::json to_adapter_config(const model::EncoderConfig& c) const {
    const auto& p = *this;
    auto j = detail::prompt_learning_json(p.num_virtual_tokens(), c);
    // Our TEXT init starts from token ids, which HF cannot replay without the text; the trained
    // embeddings are saved either way, so RANDOM loads the same values.
    j.update({{"prompt_tuning_init", "RANDOM"}, {"prompt_tuning_init_text", nullptr},
              {"tokenizer_kwargs", nullptr}, {"tokenizer_name_or_path", nullptr}});
    return j;
  }
  static prompt_tuning from_adapter_config(const nlohmann::json& j, const std::filesystem::path& file) {
    prompt_tuning p;
    p.num_virtual_tokens(detail::field<std::int64_t>(j, "num_virtual_tokens", 20, file));
    return p;
  }

  std::shared_ptr<prompt_embedding> build_model(const model::embedding_context& ctx) const {
    if (num_virtual_tokens_ <= 0) throw error("prompt_tuning: option 'num_virtual_tokens' must be positive");
    auto m = std::make_shared<prompt_embedding>(num_virtual_tokens_, ctx.config.hidden_size);
    if (!init_token_ids_.empty()) {
      const auto words = ctx.embeddings.named_parameters(true)["word_embeddings.weight"];
      torch::NoGradGuard ng;
      for (std::int64_t i = 0; i < num_virtual_tokens_; ++i) {
        const auto id = init_token_ids_[static_cast<std::size_t>(i) % init_token_ids_.size()];
        if (id < 0 || id >= ctx.config.vocab_size)
          throw error("prompt_tuning: init_token_ids holds " + std::to_string(id) + ", outside the vocabulary");
        m->embedding->weight[i].copy_(words[id]);
      }
    }
    return m;
  }
  [[nodiscard]] std::int64_t trainable_parameters(const model::EncoderConfig& c) const {
    return num_virtual_tokens_ * c.hidden_size;
  }
};

}  // namespace autopeft::peft
