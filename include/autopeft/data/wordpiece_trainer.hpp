#pragma once
// Trains a WordPiece vocabulary (vocab.txt) for wordpiece_tokenizer, as HF tokenizers'
// WordPieceTrainer does: a BPE trainer (Sennrich et al., 2016, §3.1) whose pieces after the
// first of a word carry the "##" prefix.
//
//   1. each document is normalised (bert_normalizer) and pre-tokenised (split on White_Space
//      and around punctuation) exactly as wordpiece_tokenizer will, and its words counted;
//   2. words are split into characters, each after the first written "##c"; the alphabet is the
//      limit_alphabet most frequent characters (ties: smaller code point); characters outside
//      it are dropped from the words, as HF drops them;
//   3. the most frequent adjacent pair of pieces (ties: the pair of smaller ids, HF's rule) is
//      merged into one piece, a + b without b's "##", until the vocabulary has vocab_size
//      entries or no pair occurs min_frequency times.
//
// The vocabulary lists the special tokens (in the order given), the alphabet's characters (by
// code point), their "##" forms that occur (by code point), then the merged pieces in the order
// they were made. Unlike HF, whose alphabet order follows hash-map iteration, the result
// depends only on the corpus and the options. Special tokens and the alphabet are always kept,
// so if they alone outnumber vocab_size the vocabulary is that large.
//
// Example:
//   auto vocab = data::train_wordpiece(bench.corpus, {.vocab_size = 8000});
//   data::write_vocab("out/vocab.txt", vocab);
//   auto tok = data::wordpiece_tokenizer::from_file("out/vocab.txt");
#include <autopeft/data/bert_normalizer.hpp>
#include <autopeft/data/detail/bert_pre_tokenizer.hpp>
#include <autopeft/data/detail/pair_merger.hpp>
#include <autopeft/data/detail/string_map.hpp>
#include <autopeft/data/detail/unicode.hpp>
#include <autopeft/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace autopeft::data {

/// Options of train_wordpiece; the defaults suit wordpiece_tokenizer's defaults
/// (bert-base-uncased's normalisation and special tokens).
struct wordpiece_trainer_options {
  /// The vocabulary's target size, special tokens and alphabet included.
  std::size_t vocab_size = 8000;
  /// A pair is merged only if it occurs at least this many times.
  std::size_t min_frequency = 2;
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string continuing_subword_prefix = "##";
  /// At most this many distinct characters (the most frequent) enter the alphabet.
  std::size_t limit_alphabet = 1000;
  /// Must equal the normaliser of the wordpiece_tokenizer that will use the vocabulary.
  bert_normalizer normalizer{};
};

/// The vocabulary trained on `corpus` (one document per string), in id order.
[[nodiscard]] inline std::vector<std::string> train_wordpiece(std::span<const std::string> corpus,
                                                              const wordpiece_trainer_options& o = {}) {
  using symbol = detail::pair_merger::symbol;

  detail::string_map<std::uint64_t> word_counts;
  std::string normalized;
  for (const auto& doc : corpus) {
    normalized.clear();
    o.normalizer.normalize_into(doc, normalized);
    detail::bert_pre_tokenize(normalized, [&](std::string_view w) {
      if (auto it = word_counts.find(w); it != word_counts.end()) ++it->second;
      else word_counts.emplace(std::string(w), 1);
      return true;
    });
  }
  // Sorted, so that nothing below depends on hash-map order.
  std::vector<std::pair<std::string_view, std::uint64_t>> words(word_counts.begin(), word_counts.end());
  std::sort(words.begin(), words.end());

  // The alphabet: characters by weighted frequency, then by code point (UTF-8 byte order).
  auto for_each_char = [](std::string_view w, auto&& f) {
    for (std::size_t i = 0; i < w.size();) {
      const std::size_t len = detail::decode_utf8(w, i).len;
      f(w.substr(i, len), i == 0);
      i += len;
    }
  };
  detail::string_map<std::uint64_t> char_counts;
  for (const auto& [w, n] : words)
    for_each_char(w, [&, n = n](std::string_view c, bool) {  // (clang 14 cannot capture a binding)
      if (auto it = char_counts.find(c); it != char_counts.end()) it->second += n;
      else char_counts.emplace(std::string(c), n);
    });
  std::vector<std::pair<std::string_view, std::uint64_t>> chars(char_counts.begin(), char_counts.end());
  std::sort(chars.begin(), chars.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (chars.size() > o.limit_alphabet) chars.resize(o.limit_alphabet);
  std::sort(chars.begin(), chars.end());

  std::vector<std::string> vocab;
  detail::string_map<symbol> ids;
  auto intern = [&](std::string token) {
    if (auto it = ids.find(token); it != ids.end()) return it->second;
    const auto id = static_cast<symbol>(vocab.size());
    ids.emplace(token, id);
    vocab.push_back(std::move(token));
    return id;
  };
  for (const auto& s : o.special_tokens) intern(s);
  const std::string& prefix = o.continuing_subword_prefix;
  struct letter {
    symbol initial = 0, continuing = 0;
    bool continues = false;  // seen after a word's first position: only then has it a "##c"
  };
  detail::string_map<letter> alphabet;
  for (const auto& [c, n] : chars) alphabet.emplace(std::string(c), letter{.initial = intern(std::string(c))});
  std::vector<std::string_view> continuing;
  for (const auto& [w, n] : words)
    for_each_char(w, [&](std::string_view c, bool first) {
      if (auto it = alphabet.find(c); !first && it != alphabet.end() && !it->second.continues) {
        it->second.continues = true;
        continuing.push_back(it->first);
      }
    });
  std::sort(continuing.begin(), continuing.end());
  for (const auto c : continuing) alphabet.find(c)->second.continuing = intern(prefix + std::string(c));

  std::vector<std::vector<symbol>> pieces;
  std::vector<std::uint64_t> counts;
  pieces.reserve(words.size());
  counts.reserve(words.size());
  for (const auto& [w, n] : words) {
    std::vector<symbol> s;
    for_each_char(w, [&](std::string_view c, bool first) {
      if (auto it = alphabet.find(c); it != alphabet.end())
        s.push_back(first ? it->second.initial : it->second.continuing);
    });
    if (s.size() < 2) continue;  // no pair to count
    pieces.push_back(std::move(s));
    counts.push_back(n);
  }
  word_counts = {};  // `words` views these strings; neither is needed from here on
  words = {};

  detail::pair_merger merger(std::move(pieces), std::move(counts));
  const std::uint64_t min_count = std::max<std::uint64_t>(o.min_frequency, 1);
  std::string token;
  while (vocab.size() < o.vocab_size) {
    const auto best = merger.best();
    if (!best || best->count < min_count) break;
    std::string_view right = vocab[best->right];
    if (!prefix.empty() && right.starts_with(prefix)) right.remove_prefix(prefix.size());
    token = vocab[best->left];
    token += right;
    merger.merge(best->left, best->right, intern(token));
  }
  return vocab;
}

/// Writes `vocab` to `vocab_txt`, one token per line (the id of a token is its line number, as
/// wordpiece_tokenizer::from_file reads it), through a temporary sibling renamed over the file,
/// so that a reader never sees half a vocabulary. Throws file_error if it cannot be written or
/// a token would not read back as itself (empty, a line break, trailing white space).
inline void write_vocab(const std::filesystem::path& vocab_txt, std::span<const std::string> vocab) {
  std::string text;
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    const std::string& t = vocab[i];
    if (t.empty() || t.find_first_of("\r\n") != std::string::npos ||
        detail::white_space_run_start(t, t.size()) != t.size())
      throw file_error(vocab_txt, "write_vocab: token " + std::to_string(i) + " ('" + t +
                                      "') is empty, holds a line break or ends in white space, so "
                                      "it would not read back as itself; remove it from the vocabulary");
    text += t;
    text += '\n';
  }
  std::filesystem::path tmp = vocab_txt;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw file_error(vocab_txt, "write_vocab: cannot create '" + tmp.string() + "' (" +
                                      std::strerror(errno) + "); check that the directory exists and is writable");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw file_error(vocab_txt, "write_vocab: writing '" + tmp.string() +
                                      "' failed (is the disk full?); the old file, if any, is unchanged");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, vocab_txt, ec);
  if (ec) {
    const std::string reason = ec.message();
    std::filesystem::remove(tmp, ec);
    throw file_error(vocab_txt, "write_vocab: cannot replace the file (" + reason +
                                    "); check that it is not a directory and is writable");
  }
}

}  // namespace autopeft::data
