#pragma once
// UTF-8 and the Unicode properties the tokenizers need, over the generated tables of
// detail/unicode_tables.hpp (tools/gen_unicode_tables.py). ASCII takes a table-free fast path.
// The properties BERT uses (punctuation, other, non-spacing marks, NFD) are Unicode 8.0's, as in
// HF tokenizers; letters, numbers and lowercase are Unicode 14.0's.
#include <autopeft/data/detail/unicode_tables.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace autopeft::data::detail {

inline constexpr char32_t replacement_char = 0xFFFD;

/// One code point decoded from UTF-8 and the number of bytes it took. Ill-formed input (a stray
/// continuation byte, a truncated or overlong sequence, a surrogate) decodes as U+FFFD of one
/// byte, so that every byte is visited once.
struct utf8_char {
  char32_t cp;
  std::uint32_t len;
};

[[nodiscard]] inline utf8_char decode_utf8(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && left >= 2 && cont(1)) return {((b0 & 0x1Fu) << 6) | byte(1), 2};
  if (b0 >= 0xE0 && b0 <= 0xEF && left >= 3 && cont(1) && cont(2)) {
    const char32_t cp = ((b0 & 0x0Fu) << 12) | (byte(1) << 6) | byte(2);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return {cp, 3};
  } else if (b0 >= 0xF0 && b0 <= 0xF4 && left >= 4 && cont(1) && cont(2) && cont(3)) {
    const char32_t cp = ((b0 & 0x07u) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    if (cp >= 0x10000 && cp <= 0x10FFFF) return {cp, 4};
  }
  return {replacement_char, 1};
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// The number of code points of well-formed UTF-8 (ill-formed bytes count one each).
[[nodiscard]] inline std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); i += decode_utf8(s, i).len) ++n;
  return n;
}

template <std::size_t N>
[[nodiscard]] constexpr bool in_table(const unicode_tables::range (&t)[N], char32_t cp) noexcept {
  const auto* it = std::upper_bound(std::begin(t), std::end(t), cp,
                                    [](char32_t c, const unicode_tables::range& r) { return c < r.lo; });
  return it != std::begin(t) && cp <= (it - 1)->hi;
}

/// Unicode White_Space: what Rust's char::is_whitespace and the regex class \s accept.
[[nodiscard]] inline bool is_white_space(char32_t cp) noexcept {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return in_table(unicode_tables::white_space, cp);
}

/// The start of the run of White_Space that ends at byte `end` of `s` (`end` if none).
[[nodiscard]] inline std::size_t white_space_run_start(std::string_view s, std::size_t end) noexcept {
  while (end > 0) {
    std::size_t k = end - 1;  // the lead byte of the character before `end`
    while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80 && end - k < 4) --k;
    const auto c = decode_utf8(s, k);
    if (k + c.len != end || !is_white_space(c.cp)) break;
    end = k;
  }
  return end;
}

/// The end of the run of White_Space that starts at byte `begin` of `s` (`begin` if none).
[[nodiscard]] inline std::size_t white_space_run_end(std::string_view s, std::size_t begin) noexcept {
  while (begin < s.size()) {
    const auto c = decode_utf8(s, begin);
    if (!is_white_space(c.cp)) break;
    begin += c.len;
  }
  return begin;
}

/// General category P* (as of Unicode 8.0, as HF's BERT).
[[nodiscard]] inline bool is_punctuation(char32_t cp) noexcept {
  return in_table(unicode_tables::punctuation, cp);
}

/// BERT's punctuation: every ASCII non-alphanumeric printable character (33-47, 58-64, 91-96,
/// 123-126, so `$+<=>^`|~` count although they are symbols), plus category P*.
[[nodiscard]] inline bool is_bert_punctuation(char32_t cp) noexcept {
  if (cp < 0x80)
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
           (cp >= 123 && cp <= 126);
  return is_punctuation(cp);
}

/// Categories Cc, Cf and Co as of Unicode 8.0 (HF's `is_other`, which BertNormalizer drops).
[[nodiscard]] inline bool is_other(char32_t cp) noexcept {
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  return in_table(unicode_tables::other, cp);
}

/// General category Mn (as of Unicode 8.0, as HF's BERT).
[[nodiscard]] inline bool is_nonspacing_mark(char32_t cp) noexcept {
  return cp >= 0x300 && in_table(unicode_tables::nonspacing_mark, cp);
}

/// \p{L}
[[nodiscard]] inline bool is_letter(char32_t cp) noexcept {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return in_table(unicode_tables::letter, cp);
}

/// \p{N}
[[nodiscard]] inline bool is_number(char32_t cp) noexcept {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_table(unicode_tables::number, cp);
}

/// The CJK ideograph blocks as HF tokenizers' BertNormalizer lists them. Its sixth range starts
/// at U+2B920, where Google's BERT has U+2B820; HF's is kept, since parity with it is the goal.
[[nodiscard]] constexpr bool is_cjk_ideograph(char32_t cp) noexcept {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

[[nodiscard]] inline std::uint8_t combining_class(char32_t cp) noexcept {
  if (cp < 0x300) return 0;
  const auto& t = unicode_tables::combining_class;
  const auto* it = std::upper_bound(std::begin(t), std::end(t), cp,
                                    [](char32_t c, const auto& r) { return c < r.lo; });
  return it != std::begin(t) && cp <= (it - 1)->hi ? (it - 1)->ccc : 0;
}

/// Appends the full lowercase mapping of `cp` (Rust's char::to_lowercase: U+0130 becomes
/// "i\u0307"; no context, so capital sigma is always σ).
template <class Out>
inline void append_lowercase(Out& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (cp == 0x130) {
    out.push_back(U'i');
    out.push_back(0x307);
    return;
  }
  const auto& t = unicode_tables::lowercase;
  const auto* it = std::upper_bound(std::begin(t), std::end(t), cp,
                                    [](char32_t c, const auto& r) { return c < r.lo; });
  if (it != std::begin(t)) {
    const auto& r = *(it - 1);
    if (cp <= r.hi && (cp - r.lo) % r.stride == 0) {
      out.push_back(static_cast<char32_t>(static_cast<std::int64_t>(cp) + r.delta));
      return;
    }
  }
  out.push_back(cp);
}

/// Appends the canonical decomposition (NFD, before reordering) of `cp`, as of Unicode 8.0.
template <class Out>
inline void append_decomposition(Out& out, char32_t cp) {
  if (cp < 0xC0) {
    out.push_back(cp);
    return;
  }
  constexpr char32_t s_base = 0xAC00, l_base = 0x1100, v_base = 0x1161, t_base = 0x11A7;
  constexpr char32_t t_count = 28, n_count = 21 * 28;
  if (cp >= s_base && cp < s_base + 11172) {  // Hangul syllable: L V (T)
    const char32_t s = cp - s_base;
    out.push_back(l_base + s / n_count);
    out.push_back(v_base + (s % n_count) / t_count);
    if (s % t_count != 0) out.push_back(t_base + s % t_count);
    return;
  }
  const auto& t = unicode_tables::canonical;
  const auto* it = std::lower_bound(std::begin(t), std::end(t), cp,
                                    [](const auto& d, char32_t c) { return d.cp < c; });
  if (it == std::end(t) || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  append_decomposition(out, it->first);
  if (it->second != 0) append_decomposition(out, it->second);
}

/// Puts each run of non-starters of [first, last) in canonical order (a stable sort by
/// combining class, as the Unicode canonical ordering algorithm).
template <class It>
inline void canonical_order(It first, It last) {
  while (first != last) {
    while (first != last && combining_class(*first) == 0) ++first;
    auto run_end = first;
    while (run_end != last && combining_class(*run_end) != 0) ++run_end;
    if (run_end - first > 1)
      std::stable_sort(first, run_end,
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    first = run_end;
  }
}

}  // namespace autopeft::data::detail
