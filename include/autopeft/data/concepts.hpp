#pragma once
// The tokenizer concept: what encode_batch needs from a tokenizer.
//
// The minimal members are:
//
//   std::vector<std::int64_t> encode(std::string_view text) const;  // ids, no special tokens
//   data::special_token_ids special_ids() const;                    // cls, sep, pad, mask, unk
//   data::sequence_template post_processor() const;                 // how specials frame A / A+B
//
// Optionally, for HF tokenizers >= 0.23's truncation (encode_options::truncate_while_tokenizing):
//
//   std::vector<std::int64_t> encode(std::string_view text, std::size_t max_tokens) const;
//     // the ids up to the pre-token (word) whose ids first bring the count to max_tokens
//
// wordpiece_tokenizer (BERT), byte_level_bpe_tokenizer (RoBERTa) and sentencepiece_tokenizer
// model it. A model implementation, a whitespace tokenizer over a fixed word list (14 lines):
//
//   struct word_tokenizer {
//     std::vector<std::string> words;  // id = index; 0..3 are [PAD] [UNK] [CLS] [SEP]
//     std::vector<std::int64_t> encode(std::string_view text) const {
//       std::vector<std::int64_t> ids;
//       std::istringstream in{std::string(text)};
//       for (std::string w; in >> w;) {
//         auto it = std::ranges::find(words, w);
//         ids.push_back(it == words.end() ? 1 : it - words.begin());
//       }
//       return ids;
//     }
//     data::special_token_ids special_ids() const { return {.cls = 2, .sep = 3, .pad = 0, .unk = 1}; }
//     data::sequence_template post_processor() const { return data::sequence_template::bert(special_ids()); }
//   };
//
// tests/data/test_tokenizers.cpp checks this example.
#include <autopeft/data/sequence_template.hpp>
#include <autopeft/data/special_token_ids.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace autopeft::data {

namespace detail {
template <class T>
concept encodes_text = requires(const T& t, std::string_view s) {
  { t.encode(s) } -> std::convertible_to<std::vector<std::int64_t>>;
};
template <class T>
concept has_special_ids = requires(const T& t) {
  { t.special_ids() } -> std::convertible_to<special_token_ids>;
};
template <class T>
concept has_post_processor = requires(const T& t) {
  { t.post_processor() } -> std::convertible_to<sequence_template>;
};
template <class T>
concept encodes_up_to = requires(const T& t, std::string_view s, std::size_t n) {
  { t.encode(s, n) } -> std::convertible_to<std::vector<std::int64_t>>;
};
template <class>
inline constexpr bool dependent_false = false;
}  // namespace detail

/// A tokenizer (see the header comment for the members and a model implementation).
template <class T>
concept tokenizer = detail::encodes_text<T> && detail::has_special_ids<T> && detail::has_post_processor<T>;

/// Checks a candidate tokenizer at an entry point and stops at the first missing member, so the
/// compiler prints one readable message.
template <class T>
constexpr bool check_tokenizer() {
  if constexpr (!detail::encodes_text<T>) {
    static_assert(detail::dependent_false<T>,
                  "autopeft::data::tokenizer: the type lacks `std::vector<std::int64_t> "
                  "encode(std::string_view) const` (see include/autopeft/data/concepts.hpp)");
  } else if constexpr (!detail::has_special_ids<T>) {
    static_assert(detail::dependent_false<T>,
                  "autopeft::data::tokenizer: the type lacks `data::special_token_ids "
                  "special_ids() const` (see include/autopeft/data/concepts.hpp)");
  } else if constexpr (!detail::has_post_processor<T>) {
    static_assert(detail::dependent_false<T>,
                  "autopeft::data::tokenizer: the type lacks `data::sequence_template "
                  "post_processor() const` (see include/autopeft/data/concepts.hpp)");
  }
  return tokenizer<T>;
}

}  // namespace autopeft::data
