#pragma once
// The two halves of GPT-2's byte-level pre-tokenisation (Radford et al., 2019, "Language Models
// are Unsupervised Multitask Learners", §2.2; openai/gpt-2 src/encoder.py):
//  - gpt2_split: the pre-tokenisation regex, by hand,
//      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//  - byte_to_unicode: the reversible map of the 256 bytes to printable characters
//    (' ' becomes 'Ġ', '\n' 'Ċ').
#include <autopeft/data/detail/unicode.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace autopeft::data::detail {

/// The character GPT-2 writes for each byte: printable Latin-1 bytes stand for themselves, the
/// 68 others map to U+0100.. in byte order.
[[nodiscard]] inline const std::array<char32_t, 256>& byte_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
    }
    return t;
  }();
  return table;
}

enum class gpt2_class { letter, number, space, other };

[[nodiscard]] inline gpt2_class classify_gpt2(char32_t cp) noexcept {
  if (is_letter(cp)) return gpt2_class::letter;
  if (is_number(cp)) return gpt2_class::number;
  if (is_white_space(cp)) return gpt2_class::space;
  return gpt2_class::other;  // ill-formed bytes (decoded as U+FFFD) land here, one byte each
}

/// Calls on_piece(std::string_view) for each match of the GPT-2 regex over `text`, in order,
/// until it returns false; the pieces cover the text. At each position the alternatives are tried in the regex's order:
/// a contraction ('s 't 're 've 'm 'll 'd, case-sensitive); an optional ' ' then a run of
/// letters, of numbers or of other characters; a run of White_Space that is followed by a
/// non-space gives up its last character to the next piece (\s+(?!\S)), unless it is a single
/// character (then \s+ takes it whole).
template <class F>
void gpt2_split(std::string_view text, F&& on_piece) {
  const std::size_t n = text.size();
  auto run_end = [&](std::size_t i, gpt2_class k) {
    while (i < n) {
      const auto c = decode_utf8(text, i);
      if (classify_gpt2(c.cp) != k) break;
      i += c.len;
    }
    return i;
  };
  std::size_t i = 0;
  while (i < n) {
    if (text[i] == '\'' && i + 1 < n) {
      const char a = text[i + 1];
      const char b = i + 2 < n ? text[i + 2] : '\0';
      std::size_t len = 0;
      if (a == 's' || a == 't' || a == 'm' || a == 'd') len = 2;
      else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) len = 3;
      if (len) {
        if (!on_piece(text.substr(i, len))) return;
        i += len;
        continue;
      }
    }
    const auto c = decode_utf8(text, i);
    auto k = classify_gpt2(c.cp);
    std::size_t start = i, body = i;
    if (c.cp == ' ' && i + 1 < n) {
      const auto next = classify_gpt2(decode_utf8(text, i + 1).cp);
      if (next != gpt2_class::space) {
        k = next;
        body = i + 1;
      }
    }
    if (k != gpt2_class::space) {
      const std::size_t end = run_end(body, k);
      if (!on_piece(text.substr(start, end - start))) return;
      i = end;
      continue;
    }
    const std::size_t end = run_end(i, gpt2_class::space);
    std::size_t cut = end;
    if (end < n) {  // followed by a non-space: leave the last space character to the next piece
      std::size_t last = end - 1;
      while (last > i && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
      if (last > i) cut = last;
    }
    if (!on_piece(text.substr(i, cut - i))) return;
    i = cut;
  }
}

}  // namespace autopeft::data::detail
