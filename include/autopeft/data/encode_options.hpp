#pragma once
// How encode_batch truncates and pads, in the vocabulary of HF's tokenizer __call__.
#include <autopeft/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace autopeft::data {

/// HF's TruncationStrategy. longest_first cuts a pair as HF tokenizers (Rust) does: if both
/// sequences must lose tokens, each keeps half of the budget and the longer one (the second on a
/// tie) keeps the odd token; otherwise only the longer one is cut. (HF's slow Python tokenizers
/// remove one token at a time from the longer, the second on ties, which gives the odd token to
/// the first on a tie; the fast tokenizers, which transformers 5 always uses, are matched here.)
/// See encode_options::truncate_while_tokenizing for what "longer" means since tokenizers 0.23.
enum class truncation_strategy { longest_first, only_first, only_second, do_not_truncate };

/// HF's PaddingStrategy: pad to the longest row of the batch, to max_length, or not at all.
enum class padding_strategy { longest, max_length, do_not_pad };

/// Options of encode_batch, with HF's defaults for a classifier's inputs. Padding goes on the
/// right with the tokenizer's pad id, attention mask 0 and token type 0.
///
/// Example:
///   auto batch = data::encode_batch(tok, examples, {.max_length = 128,
///                                                   .padding = data::padding_strategy::longest});
struct encode_options {
  /// The length of a row with its special tokens, for truncation and for max_length padding.
  std::size_t max_length = 512;
  truncation_strategy truncation = truncation_strategy::longest_first;
  padding_strategy padding = padding_strategy::longest;
  /// Rounds the padded length up to a multiple of this (0: no rounding), as HF does, also for
  /// max_length padding.
  std::size_t pad_to_multiple_of = 0;
  /// false: no [CLS]/[SEP] (or <s>/</s>); a pair is then A followed by B.
  bool add_special_tokens = true;
  /// HF tokenizers >= 0.23 (tokenizer/mod.rs, "early exit for truncation"): when truncating, each
  /// text is tokenized only up to the word (pre-token) whose tokens first reach max_length, the
  /// first text of an only_second pair excepted. Results change only for longest_first pairs
  /// whose shorter side has max_length tokens or more: both sides then count about max_length
  /// (to a word boundary), which can change the side that keeps the odd token. false:
  /// tokenizers < 0.23, full lengths. Applies to tokenizers with encode(text, max_tokens)
  /// (data/concepts.hpp).
  bool truncate_while_tokenizing = true;
};

inline const char* to_string(truncation_strategy t) {
  switch (t) {
    case truncation_strategy::longest_first: return "longest_first";
    case truncation_strategy::only_first: return "only_first";
    case truncation_strategy::only_second: return "only_second";
    case truncation_strategy::do_not_truncate: return "do_not_truncate";
  }
  return "?";
}

inline const char* to_string(padding_strategy p) {
  switch (p) {
    case padding_strategy::longest: return "longest";
    case padding_strategy::max_length: return "max_length";
    case padding_strategy::do_not_pad: return "do_not_pad";
  }
  return "?";
}

inline truncation_strategy truncation_from_string(std::string_view s) {
  for (auto t : {truncation_strategy::longest_first, truncation_strategy::only_first,
                 truncation_strategy::only_second, truncation_strategy::do_not_truncate})
    if (s == to_string(t)) return t;
  throw error("unknown truncation strategy '" + std::string(s) +
              "': use one of longest_first, only_first, only_second, do_not_truncate");
}

inline padding_strategy padding_from_string(std::string_view s) {
  for (auto p : {padding_strategy::longest, padding_strategy::max_length, padding_strategy::do_not_pad})
    if (s == to_string(p)) return p;
  throw error("unknown padding strategy '" + std::string(s) +
              "': use one of longest, max_length, do_not_pad");
}

}  // namespace autopeft::data
