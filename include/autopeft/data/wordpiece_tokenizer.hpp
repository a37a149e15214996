#pragma once
// BERT's WordPiece tokenizer from a vocab.txt, matching HF's BertTokenizerFast (tokenizers'
// BertNormalizer + BertPreTokenizer + WordPiece, Wu et al., 2016, "Google's Neural Machine
// Translation System", §4.1; Devlin et al., 2019):
//
//   1. special tokens ([CLS] [SEP] [PAD] [MASK] [UNK]) are cut out of the raw text first;
//   2. bert_normalizer (clean, CJK spacing, accents, lowercase);
//   3. pre-tokenisation: split on White_Space (dropped) and around each BERT punctuation
//      character (kept as its own word: ASCII 33-47, 58-64, 91-96, 123-126, or category P*);
//   4. WordPiece per word: greedy longest-match-first over the vocabulary, pieces after the
//      first looked up with the "##" prefix; a word with no full cover, or longer than
//      max_input_chars_per_word (100) code points, becomes one [UNK].
//
// vocab.txt is read as HF reads it: the id of a token is its 0-based line number, trailing
// whitespace is trimmed, a repeated token takes its last line's id.
#include <autopeft/data/added_token.hpp>
#include <autopeft/data/bert_normalizer.hpp>
#include <autopeft/data/detail/bert_pre_tokenizer.hpp>
#include <autopeft/data/detail/special_token_splitter.hpp>
#include <autopeft/data/detail/string_map.hpp>
#include <autopeft/data/detail/unicode.hpp>
#include <autopeft/data/sequence_template.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/error.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autopeft::data {

/// Options of wordpiece_tokenizer; the defaults are bert-base-uncased's.
///
/// Example (a cased vocabulary):
///   auto tok = data::wordpiece_tokenizer::from_file(
///       "vocab.txt", {.normalizer = {.lowercase = false}});
struct wordpiece_options {
  bert_normalizer normalizer{};
  added_token unk_token{"[UNK]"};
  added_token cls_token{"[CLS]"};
  added_token sep_token{"[SEP]"};
  added_token pad_token{"[PAD]"};
  added_token mask_token{"[MASK]"};
  std::string continuing_subword_prefix = "##";
  std::size_t max_input_chars_per_word = 100;
  /// HF's split_special_tokens: true treats "[MASK]" in the text as ordinary characters.
  bool split_special_tokens = false;
};

/// A WordPiece tokenizer; a model of data::tokenizer (see concepts.hpp). Immutable after
/// construction, so one instance may encode from several threads; copies share the vocabulary.
class wordpiece_tokenizer {
 public:
  /// Reads a vocab.txt (one token per line). Throws file_error if the file cannot be read or
  /// lacks [UNK], [CLS], [SEP] or [PAD] (as named in `options`).
  [[nodiscard]] static wordpiece_tokenizer from_file(const std::filesystem::path& vocab_txt,
                                                     wordpiece_options options = {}) {
    std::ifstream in(vocab_txt, std::ios::binary);
    if (!in)
      throw file_error(vocab_txt, "cannot open the WordPiece vocabulary: check the path (a "
                                  "BERT checkpoint directory has it as vocab.txt)");
    std::vector<std::string> tokens;
    std::string line;
    while (std::getline(in, line)) tokens.push_back(std::move(line));
    return wordpiece_tokenizer(std::move(tokens), std::move(options), vocab_txt.string());
  }

  /// A tokenizer over `tokens` (the id of a token is its index). `source` names the vocabulary
  /// in error messages.
  explicit wordpiece_tokenizer(std::vector<std::string> tokens, wordpiece_options options = {},
                               std::string source = "the WordPiece vocabulary")
      : state_(std::make_shared<state>()) {
    auto& s = *state_;
    s.options = std::move(options);
    s.id_to_token.resize(tokens.size());
    const auto& prefix = s.options.continuing_subword_prefix;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string t = std::move(tokens[i]);
      t.resize(detail::white_space_run_start(t, t.size()));  // Rust's trim_end, as HF
      const auto id = static_cast<std::int64_t>(i);
      if (!prefix.empty() && t.size() > prefix.size() && t.compare(0, prefix.size(), prefix) == 0)
        s.continuation.insert_or_assign(t.substr(prefix.size()), id);
      // HF also matches a word start against "##..." entries (a word beginning with "##").
      s.word_start.insert_or_assign(t, id);
      s.id_to_token[i] = std::move(t);
    }
    auto require = [&](const added_token& t, const char* field) {
      auto it = s.word_start.find(t.content);
      if (it == s.word_start.end())
        throw file_error(source, "has no line '" + t.content + "' (wordpiece_options::" + field +
                                     "): use the checkpoint's own vocab.txt or set the option "
                                     "to the token the vocabulary uses");
      return it->second;
    };
    s.ids.unk = require(s.options.unk_token, "unk_token");
    s.ids.cls = require(s.options.cls_token, "cls_token");
    s.ids.sep = require(s.options.sep_token, "sep_token");
    s.ids.pad = require(s.options.pad_token, "pad_token");
    if (auto it = s.word_start.find(s.options.mask_token.content); it != s.word_start.end())
      s.ids.mask = it->second;
    if (!s.options.split_special_tokens) {
      s.specials.add(s.options.unk_token, s.ids.unk);
      s.specials.add(s.options.cls_token, s.ids.cls);
      s.specials.add(s.options.sep_token, s.ids.sep);
      s.specials.add(s.options.pad_token, s.ids.pad);
      if (s.ids.mask >= 0) s.specials.add(s.options.mask_token, s.ids.mask);
    }
  }

  /// The ids of `text` without special tokens around it.
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    return encode(text, std::numeric_limits<std::size_t>::max());
  }

  /// The ids of `text` up to the word whose pieces first bring the count to `max_tokens` (all
  /// of them if fewer): what HF tokenizers >= 0.23 tokenizes when truncating to `max_tokens`
  /// (special tokens count, but only a word ends the text).
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text, std::size_t max_tokens) const {
    std::vector<std::int64_t> ids;
    ids.reserve(std::min(text.size() / 3 + 1, max_tokens + 8));
    encode_into(text, ids, max_tokens);
    return ids;
  }

  /// Appends the ids of `text` to `ids` (see encode(text, max_tokens)).
  void encode_into(std::string_view text, std::vector<std::int64_t>& ids,
                   std::size_t max_tokens = std::numeric_limits<std::size_t>::max()) const {
    const auto& s = *state_;
    const std::size_t base = ids.size();
    std::string normalized;
    s.specials.split(
        text,
        [&](std::string_view part) {
          normalized.clear();
          s.options.normalizer.normalize_into(part, normalized);
          bool more = true;
          detail::bert_pre_tokenize(normalized, [&](std::string_view word) {
            word_pieces(word, ids);
            return more = ids.size() - base < max_tokens;
          });
          return more;
        },
        [&](std::int64_t id) {
          ids.push_back(id);
          return true;
        });
  }

  /// The token strings of `text` ("un", "##aff", "##able").
  [[nodiscard]] std::vector<std::string> tokenize(std::string_view text) const {
    std::vector<std::string> out;
    for (auto id : encode(text)) out.push_back(state_->id_to_token[static_cast<std::size_t>(id)]);
    return out;
  }

  /// Joins the tokens of `ids` with spaces and glues "##" pieces to the previous token, as HF's
  /// WordPiece decoder without clean_up_tokenization_spaces. Throws on an id outside the vocabulary.
  [[nodiscard]] std::string decode(std::span<const std::int64_t> ids, bool skip_special_tokens = true) const {
    const auto& s = *state_;
    const auto& prefix = s.options.continuing_subword_prefix;
    std::string out;
    for (auto id : ids) {
      if (skip_special_tokens && is_special(id)) continue;
      const std::string& t = id_to_token(id);
      if (!prefix.empty() && t.compare(0, prefix.size(), prefix) == 0 && !out.empty()) {
        out.append(t, prefix.size());
      } else {
        if (!out.empty()) out.push_back(' ');
        out += t;
      }
    }
    return out;
  }

  [[nodiscard]] std::optional<std::int64_t> token_to_id(std::string_view token) const {
    const auto& m = state_->word_start;
    if (auto it = m.find(token); it != m.end()) return it->second;
    return std::nullopt;
  }

  [[nodiscard]] const std::string& id_to_token(std::int64_t id) const {
    const auto& v = state_->id_to_token;
    if (id < 0 || static_cast<std::size_t>(id) >= v.size())
      throw error("wordpiece_tokenizer: id " + std::to_string(id) + " is outside the vocabulary [0, " +
                  std::to_string(v.size()) + ")");
    return v[static_cast<std::size_t>(id)];
  }

  [[nodiscard]] std::size_t vocab_size() const noexcept { return state_->id_to_token.size(); }
  [[nodiscard]] special_token_ids special_ids() const noexcept { return state_->ids; }
  /// [CLS] A [SEP] (B [SEP]), token types 0 then 1.
  [[nodiscard]] sequence_template post_processor() const { return sequence_template::bert(state_->ids); }
  [[nodiscard]] const wordpiece_options& options() const noexcept { return state_->options; }

 private:
  struct state {
    wordpiece_options options;
    detail::string_map<std::int64_t> word_start;    // every token, as written
    detail::string_map<std::int64_t> continuation;  // "##x" tokens, keyed by x
    std::vector<std::string> id_to_token;
    special_token_ids ids;
    detail::special_token_splitter specials;
  };

  [[nodiscard]] bool is_special(std::int64_t id) const noexcept {
    const auto& i = state_->ids;
    return id == i.cls || id == i.sep || id == i.pad || id == i.mask || id == i.unk;
  }

  void word_pieces(std::string_view word, std::vector<std::int64_t>& ids) const {
    const auto& s = *state_;
    if (detail::utf8_length(word) > s.options.max_input_chars_per_word) {
      ids.push_back(s.ids.unk);
      return;
    }
    const std::size_t mark = ids.size();
    std::size_t start = 0;
    while (start < word.size()) {
      const auto& map = start == 0 ? s.word_start : s.continuation;
      std::size_t end = word.size();
      std::int64_t found = -1;
      while (end > start) {
        if (auto it = map.find(word.substr(start, end - start)); it != map.end()) {
          found = it->second;
          break;
        }
        do --end;  // back to the previous character boundary
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
      }
      if (found < 0) {
        ids.resize(mark);
        ids.push_back(s.ids.unk);
        return;
      }
      ids.push_back(found);
      start = end;
    }
  }

  std::shared_ptr<state> state_;
};

}  // namespace autopeft::data
