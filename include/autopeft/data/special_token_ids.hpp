#pragma once
// The ids of the special tokens a tokenizer's model inputs use.
#include <cstdint>

namespace autopeft::data {

/// Special token ids; -1 where the vocabulary has none. RoBERTa's bos and eos are its cls
/// ("<s>") and sep ("</s>"), as in HF.
struct special_token_ids {
  std::int64_t cls = -1;   // [CLS] | <s>
  std::int64_t sep = -1;   // [SEP] | </s>
  std::int64_t pad = -1;   // [PAD] | <pad>
  std::int64_t mask = -1;  // [MASK] | <mask>
  std::int64_t unk = -1;   // [UNK] | <unk>

  [[nodiscard]] std::int64_t bos() const noexcept { return cls; }
  [[nodiscard]] std::int64_t eos() const noexcept { return sep; }
};

}  // namespace autopeft::data
