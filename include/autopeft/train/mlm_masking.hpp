#pragma once
// Dynamic masking for masked-LM pretraining, as HF's DataCollatorForLanguageModeling
// (torch_mask_tokens; Devlin et al., 2019, "BERT", section 3.1): each token that is not special
// (nor padding) is selected with probability mlm_probability; a selected token becomes [MASK]
// with probability mask_replace_prob, a uniformly random id in [0, vocab_size) with probability
// random_replace_prob, and stays as it is otherwise. Labels hold the original id at selected
// positions and -100 (the loss' ignore index) everywhere else.
#include <autopeft/error.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace autopeft::train {

/// A masked batch: the corrupted input ids and the labels, both int64 with the input's shape.
struct mlm_batch {
  torch::Tensor input_ids;
  torch::Tensor labels;
};

/// True where `input_ids` holds one of `special_ids` (give the pad id too: HF never masks padding).
[[nodiscard]] inline torch::Tensor special_tokens_mask(const torch::Tensor& input_ids,
                                                       std::span<const std::int64_t> special_ids) {
  std::vector<std::int64_t> ids;
  for (auto id : special_ids)
    if (id >= 0) ids.push_back(id);
  if (ids.empty()) return torch::zeros_like(input_ids, torch::kBool);
  return torch::isin(input_ids, torch::tensor(ids, input_ids.options().dtype(torch::kLong)));
}

/// Options and call of the masking; HF's names and defaults.
///
/// Example:
///   torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(42);
///   const std::int64_t specials[] = {0, 2, 3, 4};  // [PAD] [CLS] [SEP] [MASK]
///   auto batch = train::mlm_masking{}(ids, train::special_tokens_mask(ids, specials),
///                                     /*mask_token_id=*/4, /*vocab_size=*/8000, gen);
struct mlm_masking {
  double mlm_probability = 0.15;
  double mask_replace_prob = 0.8;
  double random_replace_prob = 0.1;

  void validate() const {
    auto unit = [](const char* name, double v) {
      if (!(v >= 0 && v <= 1))
        throw error(std::string("mlm_masking: option '") + name + "' must lie in [0, 1], got " + std::to_string(v));
    };
    unit("mlm_probability", mlm_probability);
    unit("mask_replace_prob", mask_replace_prob);
    unit("random_replace_prob", random_replace_prob);
    if (mask_replace_prob + random_replace_prob > 1 + 1e-12)
      throw error("mlm_masking: mask_replace_prob + random_replace_prob must not exceed 1");
  }

  /// input_ids [B, S] int64 on the CPU; special [B, S] bool (true: never selected). Draws from
  /// `gen` only, in a fixed order, so equal generators give equal batches.
  [[nodiscard]] mlm_batch operator()(const torch::Tensor& input_ids, const torch::Tensor& special,
                                     std::int64_t mask_token_id, std::int64_t vocab_size,
                                     torch::Generator gen) const {
    validate();
    if (mask_token_id < 0 || mask_token_id >= vocab_size)
      throw error("mlm_masking: mask_token_id " + std::to_string(mask_token_id) +
                  " is outside the vocabulary [0, " + std::to_string(vocab_size) + "): does the tokenizer have [MASK]?");
    const auto f = input_ids.options().dtype(torch::kFloat);
    auto selected = torch::bernoulli(torch::full(input_ids.sizes(), mlm_probability, f).masked_fill_(special, 0.0), gen)
                        .to(torch::kBool);
    auto labels = input_ids.masked_fill(selected.logical_not(), -100);
    auto replaced = torch::bernoulli(torch::full(input_ids.sizes(), mask_replace_prob, f), gen).to(torch::kBool) & selected;
    // Of the selected tokens not turned into [MASK], the share that becomes a random token.
    const double rest = 1.0 - mask_replace_prob;
    const double random_share = rest <= 0 ? 0.0 : std::min(1.0, random_replace_prob / rest);
    auto randomised = torch::bernoulli(torch::full(input_ids.sizes(), random_share, f), gen).to(torch::kBool) &
                      selected & replaced.logical_not();
    auto words = torch::randint(vocab_size, input_ids.sizes(), gen, input_ids.options().dtype(torch::kLong));
    auto out = input_ids.masked_fill(replaced, mask_token_id);
    out = torch::where(randomised, words, out);
    return {out, labels};
  }
};

}  // namespace autopeft::train
