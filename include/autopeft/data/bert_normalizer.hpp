#pragma once
// BERT's text normalisation, as HF tokenizers' BertNormalizer (normalizers/bert.rs) applies it,
// after Google BERT's BasicTokenizer (Devlin et al., 2019, "BERT: Pre-training of Deep
// Bidirectional Transformers for Language Understanding"):
//
//   1. clean_text: drop U+0000, U+FFFD and categories Cc, Cf, Co (but keep \t \n \r); map every
//      White_Space character to ' '.
//   2. handle_chinese_chars: put spaces around each CJK ideograph (HF's block list, see
//      detail::is_cjk_ideograph), so that each becomes its own word.
//   3. strip_accents (default: the value of lowercase): NFD, then drop category Mn. Hangul
//      syllables decompose into their jamo here, as in HF.
//   4. lowercase: Rust's char::to_lowercase per character (full mapping, no context: U+0130 İ
//      becomes "i̇", final sigma stays σ).
//
// The categories and the NFD data are Unicode 8.0's, as HF's crates have them, so characters of
// later scripts are neither dropped, stripped nor reordered here either; the lowercase mapping is
// Unicode 14.0's (tools/gen_unicode_tables.py says more). Checked against tokenizers 0.23 on
// 60,000 random strings of 20 scripts and symbol blocks.
#include <autopeft/data/detail/unicode.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

/// Options as HF's BertNormalizer; the defaults are bert-base-uncased's.
///
/// Example:
///   data::bert_normalizer cased{.lowercase = false};   // strip_accents follows: false
///   cased("Héllo\tWORLD") == "Héllo WORLD"
struct bert_normalizer {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  std::optional<bool> strip_accents = std::nullopt;  // unset: follows lowercase
  bool lowercase = true;

  [[nodiscard]] bool strips_accents() const noexcept { return strip_accents.value_or(lowercase); }

  [[nodiscard]] std::string operator()(std::string_view text) const {
    std::string out;
    normalize_into(text, out);
    return out;
  }

  /// Appends the normalised text to `out`.
  void normalize_into(std::string_view text, std::string& out) const {
    out.reserve(out.size() + text.size() + text.size() / 8);
    const bool strip = strips_accents();
    // With strip_accents, combining marks may need reordering before the Mn marks are dropped
    // (some non-Mn characters have a combining class); `marks` holds the pending run.
    std::vector<char32_t> decomposed, marks;
    auto emit = [&](char32_t c) {
      if (lowercase) {
        char32_t low[2];
        struct sink {
          char32_t* p;
          int n = 0;
          void push_back(char32_t c) { p[n++] = c; }
        } s{low};
        detail::append_lowercase(s, c);
        for (int k = 0; k < s.n; ++k) detail::append_utf8(out, low[k]);
      } else {
        detail::append_utf8(out, c);
      }
    };
    auto flush_marks = [&] {
      if (marks.size() > 1) detail::canonical_order(marks.begin(), marks.end());
      for (char32_t m : marks)
        if (!detail::is_nonspacing_mark(m)) emit(m);
      marks.clear();
    };
    auto after_chinese = [&](char32_t c) {
      if (!strip) {
        emit(c);
        return;
      }
      if (c < 0xC0) {  // no decomposition, combining class 0
        if (!marks.empty()) flush_marks();
        emit(c);
        return;
      }
      decomposed.clear();
      detail::append_decomposition(decomposed, c);
      for (char32_t d : decomposed) {
        if (detail::combining_class(d) != 0) {
          marks.push_back(d);
        } else {
          if (!marks.empty()) flush_marks();
          if (!detail::is_nonspacing_mark(d)) emit(d);
        }
      }
    };
    for (std::size_t i = 0; i < text.size();) {
      const auto [c0, len] = detail::decode_utf8(text, i);
      i += len;
      char32_t c = c0;
      if (clean_text) {
        if (c == 0 || c == detail::replacement_char) continue;
        const bool kept_control = c == '\t' || c == '\n' || c == '\r';
        if (!kept_control && detail::is_other(c)) continue;
        if (kept_control || detail::is_white_space(c)) c = ' ';
      }
      if (handle_chinese_chars && detail::is_cjk_ideograph(c)) {
        after_chinese(' ');
        after_chinese(c);
        after_chinese(' ');
      } else {
        after_chinese(c);
      }
    }
    if (!marks.empty()) flush_marks();
  }
};

}  // namespace autopeft::data
