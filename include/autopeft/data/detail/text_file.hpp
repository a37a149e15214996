#pragma once
// Reading a whole text file, splitting it into lines, and the small text clean-ups of the
// embedded benchmark.
#include <autopeft/error.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace autopeft::data::detail {

/// The file's bytes; `missing_hint` is appended to the message when it cannot be opened.
[[nodiscard]] inline std::string read_text_file(const std::filesystem::path& file,
                                                const std::string& missing_hint) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw file_error(file, "cannot open the file; " + missing_hint);
  std::string text;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
  } else {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (in.bad()) throw file_error(file, "read failed");
  return text;
}

/// Calls f(line_view, line_number) for each line; a final line without '\n' counts, a '\r'
/// before the '\n' is dropped.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line, ++number);
  }
}

/// `s` with runs of ASCII whitespace collapsed to one space and both ends trimmed, backspace
/// overstrikes resolved and other ASCII control characters dropped.
[[nodiscard]] inline std::string squeeze(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (const char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
    } else if (c == '\b') {
      // Overstrike ("_\bi" underlines i, "i\bi" bolds it): the character after wins.
      if (!out.empty() && !pending_space) out.pop_back();
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      continue;  // other control characters carry no text
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

/// ASCII lower case (WordNet is ASCII; fortunes' other bytes are kept as they are).
[[nodiscard]] inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace autopeft::data::detail
