#pragma once
// HF tokenizers' BertPreTokenizer (pre_tokenizers/bert.rs): White_Space separates words and is
// dropped; each BERT punctuation character is a word of its own.
#include <autopeft/data/detail/unicode.hpp>

#include <string_view>

namespace autopeft::data::detail {

/// Calls on_word(std::string_view) for each word of `text`, in order, until it returns false.
template <class F>
void bert_pre_tokenize(std::string_view text, F&& on_word) {
  std::size_t start = 0, i = 0;
  while (i < text.size()) {
    const auto [c, len] = decode_utf8(text, i);
    if (is_white_space(c)) {
      if (i > start && !on_word(text.substr(start, i - start))) return;
      start = i + len;
    } else if (is_bert_punctuation(c)) {
      if (i > start && !on_word(text.substr(start, i - start))) return;
      if (!on_word(text.substr(i, len))) return;
      start = i + len;
    }
    i += len;
  }
  if (i > start) on_word(text.substr(start, i - start));
}

}  // namespace autopeft::data::detail
