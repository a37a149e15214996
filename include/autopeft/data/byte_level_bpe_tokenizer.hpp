#pragma once
// RoBERTa / GPT-2 byte-level BPE from vocab.json + merges.txt, matching HF's RobertaTokenizerFast
// (tokenizers' ByteLevel pre-tokenizer + BPE model + RobertaProcessing; Sennrich et al., 2016,
// "Neural Machine Translation of Rare Words with Subword Units"; Radford et al., 2019, §2.2):
//
//   1. special tokens (<s> </s> <pad> <unk> <mask>) are cut out of the raw text first;
//      roberta-base's <mask> swallows the White_Space before it (lstrip);
//   2. the GPT-2 regex splits the rest into pieces (detail::gpt2_split); with add_prefix_space
//      (off for roberta-base) a ' ' is put before each text segment that lacks one;
//   3. each piece's UTF-8 bytes become GPT-2's byte characters (' ' -> 'Ġ'), one symbol each;
//   4. BPE: repeatedly merge the adjacent pair whose merge has the lowest rank (the line of
//      merges.txt), the leftmost on a tie, until no pair has a merge (HF's heap algorithm).
//
// Results per piece are cached (up to 10,000 pieces, as HF). A byte whose character is missing
// from vocab.json is dropped, as HF's BPE without an unk token does; trained byte-level
// vocabularies hold all 256.
#include <autopeft/data/added_token.hpp>
#include <autopeft/data/detail/byte_level.hpp>
#include <autopeft/data/detail/special_token_splitter.hpp>
#include <autopeft/data/detail/string_map.hpp>
#include <autopeft/data/sequence_template.hpp>
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/data/special_token_ids.hpp>
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace autopeft::data {

/// Options of byte_level_bpe_tokenizer; the defaults are roberta-base's.
///
/// Example (GPT-2 style, a space before the first word):
///   auto tok = data::byte_level_bpe_tokenizer::from_files(
///       "vocab.json", "merges.txt", {.add_prefix_space = true});
struct byte_level_bpe_options {
  bool add_prefix_space = false;
  added_token cls_token{"<s>"};
  added_token sep_token{"</s>"};
  added_token pad_token{"<pad>"};
  added_token unk_token{"<unk>"};
  added_token mask_token{"<mask>", /*lstrip=*/true};
  /// HF's split_special_tokens: true treats "<mask>" in the text as ordinary characters.
  bool split_special_tokens = false;
  /// Pieces whose BPE result is kept (HF's default capacity).
  std::size_t cache_capacity = 10000;
};

/// A byte-level BPE tokenizer; a model of data::tokenizer (see concepts.hpp). Encoding is
/// thread-safe (the cache takes a shared lock); copies share the vocabulary and the cache.
class byte_level_bpe_tokenizer {
 public:
  /// Reads vocab.json (token -> id) and merges.txt (one "a b" pair per line, lowest rank first,
  /// an optional "#version" line). Throws file_error on unreadable or malformed files, and
  /// autopeft::error naming merges.txt (and the line) for a merge whose parts or result are not
  /// in the vocabulary, or when <s>, </s> or <pad> (as named in `options`) are missing.
  [[nodiscard]] static byte_level_bpe_tokenizer from_files(const std::filesystem::path& vocab_json,
                                                           const std::filesystem::path& merges_txt,
                                                           byte_level_bpe_options options = {}) {
    std::ifstream vin(vocab_json, std::ios::binary);
    if (!vin) throw file_error(vocab_json, "cannot open the BPE vocabulary (vocab.json): check the path");
    nlohmann::json j;
    try {
      j = autopeft::detail::parse_json(vin);
    } catch (const nlohmann::json::exception& e) {
      throw file_error(vocab_json, std::string("is not valid JSON (") + e.what() +
                                       "): expected an object of token -> id");
    }
    if (!j.is_object()) throw file_error(vocab_json, "must be a JSON object of token -> id");
    std::vector<std::pair<std::string, std::int64_t>> vocab;
    vocab.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0)
        throw file_error(vocab_json, "token '" + it.key() + "' has id " + it.value().dump().substr(0, 80) +
                                         ": ids must be non-negative integers");
      vocab.emplace_back(it.key(), it.value().get<std::int64_t>());
    }

    std::ifstream min(merges_txt, std::ios::binary);
    if (!min) throw file_error(merges_txt, "cannot open the BPE merges (merges.txt): check the path");
    std::vector<std::pair<std::string, std::string>> merges;
    std::vector<std::size_t> lines;
    std::string line;
    for (std::size_t no = 1; std::getline(min, line); ++no) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("#version", 0) == 0) continue;
      const auto sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos || sp == 0 ||
          sp + 1 == line.size())
        throw file_error(merges_txt, "line " + std::to_string(no) + " is '" + line +
                                         "': each merge must be two tokens separated by one space");
      merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
      lines.push_back(no);
    }
    return byte_level_bpe_tokenizer(std::move(vocab), std::move(merges), std::move(options),
                                    merges_txt.string(), lines);
  }

  /// A tokenizer from a vocabulary (token, id) and merges in rank order. `source` names the
  /// merges in error messages; `lines` (optional) their line numbers.
  byte_level_bpe_tokenizer(std::vector<std::pair<std::string, std::int64_t>> vocab,
                           std::vector<std::pair<std::string, std::string>> merges,
                           byte_level_bpe_options options = {},
                           std::string source = "the BPE merges", std::span<const std::size_t> lines = {})
      : state_(std::make_shared<state>()), cache_(std::make_shared<cache>()) {
    auto& s = *state_;
    s.options = std::move(options);
    std::int64_t max_id = -1;
    for (auto& [t, id] : vocab) {
      max_id = std::max(max_id, id);
      s.vocab.insert_or_assign(std::move(t), id);
    }
    if (max_id >= std::numeric_limits<std::int32_t>::max() ||
        static_cast<std::size_t>(max_id) > 4 * vocab.size() + 1024)
      throw error("byte_level_bpe_tokenizer: the vocabulary's largest id is " + std::to_string(max_id) + " for " +
                  std::to_string(vocab.size()) + " tokens: ids must be (nearly) consecutive from 0");
    s.id_to_token.resize(static_cast<std::size_t>(max_id + 1));
    for (const auto& [t, id] : s.vocab) s.id_to_token[static_cast<std::size_t>(id)] = t;

    const auto& b2u = detail::byte_to_unicode();
    for (std::size_t b = 0; b < 256; ++b) {
      std::string ch;
      detail::append_utf8(ch, b2u[b]);
      auto it = s.vocab.find(ch);
      s.byte_id[b] = it == s.vocab.end() ? -1 : static_cast<std::int32_t>(it->second);
      s.unicode_to_byte.emplace(b2u[b], static_cast<unsigned char>(b));
    }

    s.merges.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
      // Named references, not a structured binding: clang before 16 cannot capture bindings.
      const std::string& a = merges[rank].first;
      const std::string& b = merges[rank].second;
      auto where = [&] {
        return source + ": merge " + std::to_string(rank + 1) +
               (rank < lines.size() ? " (line " + std::to_string(lines[rank]) + ")" : std::string{}) +
               " '" + a + " " + b + "'";
      };
      auto ia = s.vocab.find(a), ib = s.vocab.find(b), ic = s.vocab.find(a + b);
      if (ia == s.vocab.end() || ib == s.vocab.end() || ic == s.vocab.end())
        throw error(where() + " uses a token missing from the vocabulary ('" +
                    (ia == s.vocab.end() ? a : ib == s.vocab.end() ? b : a + b) +
                    "'): vocab.json and merges.txt must come from the same training run");
      // A repeated pair takes its last rank, as HF's map does (trained files have none).
      s.merges.insert_or_assign(pair_key(ia->second, ib->second),
                                merge{static_cast<std::uint32_t>(rank), static_cast<std::int32_t>(ic->second)});
    }

    auto find = [&](const added_token& t) -> std::int64_t {
      auto it = s.vocab.find(t.content);
      return it == s.vocab.end() ? -1 : it->second;
    };
    s.ids = {find(s.options.cls_token), find(s.options.sep_token), find(s.options.pad_token),
             find(s.options.mask_token), find(s.options.unk_token)};
    auto require = [&](std::int64_t id, const added_token& t, const char* field) {
      if (id < 0)
        throw error(source + ": the vocabulary has no '" + t.content + "' (byte_level_bpe_options::" +
                    field + "): use the checkpoint's own vocab.json or set the option");
    };
    require(s.ids.cls, s.options.cls_token, "cls_token");
    require(s.ids.sep, s.options.sep_token, "sep_token");
    require(s.ids.pad, s.options.pad_token, "pad_token");
    if (!s.options.split_special_tokens) {
      const added_token* tokens[] = {&s.options.cls_token, &s.options.sep_token, &s.options.pad_token,
                                     &s.options.unk_token, &s.options.mask_token};
      const std::int64_t ids[] = {s.ids.cls, s.ids.sep, s.ids.pad, s.ids.unk, s.ids.mask};
      for (std::size_t k = 0; k < 5; ++k)
        if (ids[k] >= 0) s.specials.add(*tokens[k], ids[k]);
    }
  }

  /// The ids of `text` without special tokens around it.
  [[nodiscard]] std::vector<std::int64_t> encode(std::string_view text) const {
    return encode(text, std::numeric_limits<std::size_t>::max());
  }

  /// The ids of `text` up to the pre-token whose merges first bring the count to `max_tokens`
  /// (all of them if fewer): what HF tokenizers >= 0.23 tokenizes when truncating to
  /// `max_tokens` (special tokens count, but only a pre-token ends the text).
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
    std::string prefixed;
    s.specials.split(
        text,
        [&](std::string_view part) {
          if (s.options.add_prefix_space && part.front() != ' ') {
            prefixed.assign(1, ' ');
            prefixed.append(part);
            part = prefixed;
          }
          bool more = true;
          detail::gpt2_split(part, [&](std::string_view piece) {
            bpe(piece, ids);
            return more = ids.size() - base < max_tokens;
          });
          return more;
        },
        [&](std::int64_t id) {
          ids.push_back(id);
          return true;
        });
  }

  /// The token strings of `text`, in GPT-2's byte characters ("Ġworld").
  [[nodiscard]] std::vector<std::string> tokenize(std::string_view text) const {
    std::vector<std::string> out;
    for (auto id : encode(text)) out.push_back(id_to_token(id));
    return out;
  }

  /// The text of `ids`: tokens concatenated and mapped back from byte characters to bytes (HF's
  /// ByteLevel decoder, except that ill-formed UTF-8 is returned as is, not replaced).
  [[nodiscard]] std::string decode(std::span<const std::int64_t> ids, bool skip_special_tokens = true) const {
    const auto& s = *state_;
    std::string out;
    for (auto id : ids) {
      if (skip_special_tokens && is_special(id)) continue;
      const std::string& t = id_to_token(id);
      if (is_special(id)) {
        out += t;
        continue;
      }
      for (std::size_t i = 0; i < t.size();) {
        const auto c = detail::decode_utf8(t, i);
        auto it = s.unicode_to_byte.find(c.cp);
        if (it != s.unicode_to_byte.end()) out.push_back(static_cast<char>(it->second));
        else out.append(t, i, c.len);
        i += c.len;
      }
    }
    return out;
  }

  [[nodiscard]] std::optional<std::int64_t> token_to_id(std::string_view token) const {
    const auto& m = state_->vocab;
    if (auto it = m.find(token); it != m.end()) return it->second;
    return std::nullopt;
  }

  [[nodiscard]] const std::string& id_to_token(std::int64_t id) const {
    const auto& v = state_->id_to_token;
    if (id < 0 || static_cast<std::size_t>(id) >= v.size())
      throw error("byte_level_bpe_tokenizer: id " + std::to_string(id) +
                  " is outside the vocabulary [0, " + std::to_string(v.size()) + ")");
    return v[static_cast<std::size_t>(id)];
  }

  /// One more than the largest id of vocab.json.
  [[nodiscard]] std::size_t vocab_size() const noexcept { return state_->id_to_token.size(); }
  [[nodiscard]] std::size_t merges_size() const noexcept { return state_->merges.size(); }
  [[nodiscard]] special_token_ids special_ids() const noexcept { return state_->ids; }
  /// <s> A </s> (</s> B </s>), token types all 0.
  [[nodiscard]] sequence_template post_processor() const { return sequence_template::roberta(state_->ids); }
  [[nodiscard]] const byte_level_bpe_options& options() const noexcept { return state_->options; }

 private:
  struct merge {
    std::uint32_t rank;
    std::int32_t result;
  };

  struct state {
    byte_level_bpe_options options;
    detail::string_map<std::int64_t> vocab;
    std::vector<std::string> id_to_token;
    std::unordered_map<std::uint64_t, merge> merges;  // (left id, right id) -> merge
    std::array<std::int32_t, 256> byte_id{};           // id of each byte's character, -1: none
    std::unordered_map<char32_t, unsigned char> unicode_to_byte;
    special_token_ids ids;
    detail::special_token_splitter specials;
  };

  struct cache {
    std::shared_mutex mutex;
    detail::string_map<std::vector<std::int32_t>> pieces;  // raw piece bytes -> ids
  };

  static std::uint64_t pair_key(std::int64_t a, std::int64_t b) noexcept {
    return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
  }

  [[nodiscard]] bool is_special(std::int64_t id) const noexcept {
    const auto& i = state_->ids;
    return id >= 0 && (id == i.cls || id == i.sep || id == i.pad || id == i.mask || id == i.unk);
  }

  void bpe(std::string_view piece, std::vector<std::int64_t>& ids) const {
    auto& c = *cache_;
    {
      std::shared_lock lock(c.mutex);
      if (auto it = c.pieces.find(piece); it != c.pieces.end()) {
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    auto merged = merge_piece(piece);
    ids.insert(ids.end(), merged.begin(), merged.end());
    std::unique_lock lock(c.mutex);
    if (c.pieces.size() < state_->options.cache_capacity) c.pieces.emplace(std::string(piece), std::move(merged));
  }

  // HF's Word::merge_all: symbols in a linked list, candidate merges in a min-heap by (rank,
  // position); an entry whose pair has changed since it was pushed is skipped.
  [[nodiscard]] std::vector<std::int32_t> merge_piece(std::string_view piece) const {
    const auto& s = *state_;
    struct symbol {
      std::int32_t id;
      std::int32_t prev, next;
      bool alive;
    };
    std::vector<symbol> sym;
    sym.reserve(piece.size());
    for (unsigned char b : piece) {
      const auto id = s.byte_id[b];
      if (id < 0) continue;
      const auto n = static_cast<std::int32_t>(sym.size());
      sym.push_back({id, n - 1, n + 1, true});
    }
    if (sym.empty()) return {};
    sym.back().next = -1;

    struct candidate {
      std::uint32_t rank;
      std::int32_t pos;
      std::int32_t result;
      bool operator>(const candidate& o) const noexcept {
        return rank != o.rank ? rank > o.rank : pos > o.pos;
      }
    };
    std::priority_queue<candidate, std::vector<candidate>, std::greater<>> heap;
    auto push = [&](std::int32_t pos) {
      const auto& l = sym[static_cast<std::size_t>(pos)];
      if (l.next < 0) return;
      auto it = s.merges.find(pair_key(l.id, sym[static_cast<std::size_t>(l.next)].id));
      if (it != s.merges.end()) heap.push({it->second.rank, pos, it->second.result});
    };
    for (std::int32_t i = 0; i + 1 < static_cast<std::int32_t>(sym.size()); ++i) push(i);
    while (!heap.empty()) {
      const auto top = heap.top();
      heap.pop();
      auto& l = sym[static_cast<std::size_t>(top.pos)];
      if (!l.alive || l.next < 0) continue;
      auto& r = sym[static_cast<std::size_t>(l.next)];
      auto it = s.merges.find(pair_key(l.id, r.id));
      if (it == s.merges.end() || it->second.result != top.result) continue;  // stale entry
      l.id = top.result;
      r.alive = false;
      l.next = r.next;
      if (r.next >= 0) sym[static_cast<std::size_t>(r.next)].prev = top.pos;
      if (l.prev >= 0) push(l.prev);
      push(top.pos);
    }
    std::vector<std::int32_t> out;
    for (std::int32_t i = 0; i >= 0; i = sym[static_cast<std::size_t>(i)].next)
      out.push_back(sym[static_cast<std::size_t>(i)].id);
    return out;
  }

  std::shared_ptr<state> state_;
  std::shared_ptr<cache> cache_;
};

}  // namespace autopeft::data
