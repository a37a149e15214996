#pragma once
// Text for the study report: escaping and number formatting. The page is written as
// well-formed XML (HTML5 served as text/html), so every piece of user text goes through
// escape(), which also repairs what XML forbids: invalid UTF-8 and control characters.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

namespace autopeft::search::detail {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid (overlong
// forms, surrogates and code points above U+10FFFF included).
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

/// Text or attribute content: & < > " ' become references; invalid UTF-8 and control
/// characters other than tab and newline become U+FFFD.
inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&#39;"; ++i; continue;
      default: break;
    }
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7F) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

/// s cut to at most `max_bytes` bytes without splitting a UTF-8 sequence, with "…" appended
/// when something was cut.
inline std::string truncate(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "\xE2\x80\xA6";
}

inline std::string printf_double(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// A metric value for people: four significant digits, scientific only when very large or small.
inline std::string format_value(double v) {
  if (!std::isfinite(v)) return "\xE2\x80\x94";
  const double a = std::fabs(v);
  if (a != 0.0 && (a >= 1e5 || a < 1e-3)) return printf_double("%.3e", v);
  return printf_double("%.4g", v);
}

/// A standard deviation: two significant digits are all it can claim.
inline std::string format_spread(double v) {
  if (!std::isfinite(v)) return "\xE2\x80\x94";
  return printf_double("%.2g", v);
}

/// A share of parameters in percent, three significant digits: "0.0123%", "1.25%", "100%".
inline std::string format_percent(double v) {
  if (!std::isfinite(v)) return "\xE2\x80\x94";
  return printf_double("%.3g", v) + "%";
}

/// A duration: "42.0 s", "3 min 07 s", "2 h 05 min".
inline std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "\xE2\x80\x94";
  if (seconds < 60) return printf_double("%.1f s", seconds);
  const auto total = static_cast<long long>(std::llround(seconds));
  char buf[64];
  if (total < 3600)
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", total / 60, total % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", total / 3600, (total % 3600) / 60);
  return buf;
}

/// Compact JSON that never throws: invalid UTF-8 inside strings is replaced.
inline std::string compact_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace autopeft::search::detail
