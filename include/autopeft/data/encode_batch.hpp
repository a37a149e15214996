#pragma once
// encode_batch: examples (single texts or pairs) -> input_ids, attention_mask, token_type_ids, as
// HF's `tokenizer(texts_a, texts_b, truncation=..., max_length=..., padding=...)` with a fast
// tokenizer: encode each text (up to max_length, see encode_options::truncate_while_tokenizing),
// truncate (tokenizers' utils/truncation.rs), add the special tokens of the tokenizer's
// post_processor(), then pad on the right.
//
// Truncation works on the budget max_length - (special tokens of the row) and acts only when the
// row is over it:
//   longest_first  single: keep the first `budget` ids. Pair of lengths n1 <= n2: if n1 fits in
//                  half the budget, the longer keeps budget - n1; otherwise the shorter keeps
//                  budget / 2 and the longer budget / 2 + budget % 2 (the second on a tie).
//   only_first / only_second  cut that sequence alone; if it is too short, or only_second meets
//                  a single text, it is an error (HF raises too).
//   budget 0       both sequences become empty whatever the strategy (as HF).
// Truncating to a max_length that pad_to_multiple_of would round up is refused, as transformers
// does.
// Without special tokens (add_special_tokens = false) a pair is A B, and B keeps the template's
// token type (1 for BERT, 0 for RoBERTa: HF gives RoBERTa's B type 1 there, which its single
// token type embedding cannot take).
#include <autopeft/data/concepts.hpp>
#include <autopeft/data/encode_options.hpp>
#include <autopeft/data/encoded_batch.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/error.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autopeft::data {

namespace detail {

/// Truncates `a` (and `b`, a pair) to `budget` ids in all, as HF tokenizers' truncate_encodings.
/// `where.where()` names the row in error messages (built only on error).
template <class Where>
void truncate_pair(std::vector<std::int64_t>& a, std::vector<std::int64_t>* b, std::size_t budget,
                   truncation_strategy strategy, const Where& where) {
  if (strategy == truncation_strategy::do_not_truncate) return;
  if (budget == 0) {
    a.clear();
    if (b) b->clear();
    return;
  }
  const std::size_t total = a.size() + (b ? b->size() : 0);
  if (total <= budget) return;
  const std::size_t to_remove = total - budget;
  if (strategy == truncation_strategy::longest_first) {
    if (!b) {
      a.resize(budget);
      return;
    }
    std::size_t n1 = a.size(), n2 = b->size();
    const bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = budget / 2;
      n2 = n1 + budget % 2;
    }
    if (swap) std::swap(n1, n2);
    if (a.size() > n1) a.resize(n1);
    if (b->size() > n2) b->resize(n2);
    return;
  }
  const bool first = strategy == truncation_strategy::only_first;
  if (!first && !b)
    throw error(where.where() + ": truncation only_second needs a second sequence, and this example has "
                        "one text of " + std::to_string(a.size()) + " tokens over the budget of " +
                std::to_string(budget) + ": use longest_first or only_first for single texts");
  auto& target = first ? a : *b;
  if (target.size() <= to_remove)
    throw error(where.where() + ": truncation " + to_string(strategy) + " must remove " + std::to_string(to_remove) +
                " tokens but the " + (first ? "first" : "second") + " sequence has only " +
                std::to_string(target.size()) + ": use longest_first or a larger max_length");
  target.resize(target.size() - to_remove);
}

struct row {
  std::string_view a;
  std::optional<std::string_view> b;
  std::string (*where_fn)(const void*, std::size_t);
  const void* ctx;
  std::size_t index;
  std::string where() const { return where_fn(ctx, index); }
};

template <class T, class Get>
encoded_batch encode_rows(const T& tok, std::size_t n, Get&& get, const encode_options& o) {
  if (o.truncation != truncation_strategy::do_not_truncate && o.padding != padding_strategy::do_not_pad &&
      o.pad_to_multiple_of > 0 && o.max_length % o.pad_to_multiple_of != 0)
    throw error("encode_batch: truncation to max_length " + std::to_string(o.max_length) +
                " and padding to a multiple of pad_to_multiple_of " + std::to_string(o.pad_to_multiple_of) +
                " conflict (HF refuses them too): make max_length a multiple of pad_to_multiple_of");
  const sequence_template tpl = tok.post_processor();
  const std::int64_t pad = tok.special_ids().pad;
  encoded_batch out;
  out.input_ids.resize(n);
  out.attention_mask.resize(n);
  out.token_type_ids.resize(n);
  std::vector<std::int64_t> a, b;
  for (std::size_t r = 0; r < n; ++r) {
    const row in = get(r);
    const bool pair = in.b.has_value();
    const bool limit = o.truncation != truncation_strategy::do_not_truncate && o.truncate_while_tokenizing;
    auto encode = [&](std::string_view text, bool limited) -> std::vector<std::int64_t> {
      if constexpr (encodes_up_to<T>)
        if (limited) return tok.encode(text, o.max_length);
      return tok.encode(text);
    };
    a = encode(in.a, limit && o.truncation != truncation_strategy::only_second);
    if (pair) b = encode(*in.b, limit);
    const std::size_t added = o.add_special_tokens ? tpl.added(pair) : 0;
    if (o.truncation != truncation_strategy::do_not_truncate) {
      if (o.max_length < added)
        throw error(in.where() + ": encode_options::max_length " + std::to_string(o.max_length) +
                    " is less than the " + std::to_string(added) + " special tokens of a " +
                    (pair ? "pair" : "single text") + ": raise max_length");
      truncate_pair(a, pair ? &b : nullptr, o.max_length - added, o.truncation, in);
    }
    auto& ids = out.input_ids[r];
    auto& types = out.token_type_ids[r];
    ids.reserve(a.size() + (pair ? b.size() : 0) + added);
    auto put = [&](const std::vector<std::int64_t>& v, std::int64_t type) {
      ids.insert(ids.end(), v.begin(), v.end());
      types.insert(types.end(), v.size(), type);
    };
    if (o.add_special_tokens) put(tpl.begin, 0);
    put(a, 0);
    if (pair) {
      if (o.add_special_tokens) put(tpl.middle, 0);
      put(b, tpl.pair_type_id);
    }
    if (o.add_special_tokens) put(tpl.end, pair ? tpl.pair_type_id : 0);
    out.attention_mask[r].assign(ids.size(), 1);
  }

  if (o.padding == padding_strategy::do_not_pad) return out;
  std::size_t len = o.padding == padding_strategy::max_length ? o.max_length : out.max_row_length();
  if (o.pad_to_multiple_of > 0 && len % o.pad_to_multiple_of != 0)
    len += o.pad_to_multiple_of - len % o.pad_to_multiple_of;
  for (std::size_t r = 0; r < n; ++r) {
    if (out.input_ids[r].size() >= len) continue;
    if (pad < 0)
      throw error("encode_batch: the tokenizer has no pad token (special_ids().pad is -1): use "
                  "padding_strategy::do_not_pad or a vocabulary with one");
    out.input_ids[r].resize(len, pad);
    out.attention_mask[r].resize(len, 0);
    out.token_type_ids[r].resize(len, 0);
  }
  return out;
}


}  // namespace detail

/// Encodes a batch: a span of examples (text_a, optional text_b), of single texts, or of text
/// pairs. Returns one row per input; see the header comment for truncation and padding.
///
/// Example:
///   auto tok = data::wordpiece_tokenizer::from_file("bert-base-uncased/vocab.txt");
///   auto batch = data::encode_batch(tok, task.train, {.max_length = 128});
///   auto [ids, mask, types] = data::to_tensors(batch);   // data/to_tensors.hpp
struct encode_batch_fn {
  template <class T>
  encoded_batch operator()(const T& tok, std::span<const example> examples, const encode_options& o = {}) const {
    if constexpr (check_tokenizer<T>()) {  // else: one static_assert message, nothing more
      auto where = [](const void* ctx, std::size_t i) {
        const auto& e = static_cast<const example*>(ctx)[i];
        std::string w = "encode_batch: example " + std::to_string(i);
        if (e.line) w += " (line " + std::to_string(e.line) + ")";
        if (!e.id.empty()) w += " (id " + e.id + ")";
        return w;
      };
      return detail::encode_rows(
          tok, examples.size(),
          [&](std::size_t i) {
            const auto& e = examples[i];
            return detail::row{e.text_a, e.text_b ? std::optional<std::string_view>(*e.text_b) : std::nullopt,
                               where, examples.data(), i};
          },
          o);
    } else {
      return {};
    }
  }

  template <class T>
  encoded_batch operator()(const T& tok, std::span<const std::string> texts, const encode_options& o = {}) const {
    if constexpr (check_tokenizer<T>()) {
      return detail::encode_rows(
          tok, texts.size(),
          [&](std::size_t i) { return detail::row{texts[i], std::nullopt, &text_where, nullptr, i}; }, o);
    } else {
      return {};
    }
  }

  template <class T>
  encoded_batch operator()(const T& tok, std::span<const std::pair<std::string, std::string>> pairs,
                           const encode_options& o = {}) const {
    if constexpr (check_tokenizer<T>()) {
      return detail::encode_rows(
          tok, pairs.size(),
          [&](std::size_t i) {
            return detail::row{pairs[i].first, std::optional<std::string_view>(pairs[i].second), &text_where,
                               nullptr, i};
          },
          o);
    } else {
      return {};
    }
  }

 private:
  static std::string text_where(const void*, std::size_t i) { return "encode_batch: text " + std::to_string(i); }
};

inline constexpr encode_batch_fn encode_batch{};

}  // namespace autopeft::data
