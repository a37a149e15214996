#pragma once
// The fortune(6) cookie files of Debian's `fortunes` package: one text file per category in
// /usr/share/games/fortunes, entries separated by lines holding only "%".
//
// A category is a regular file whose name has no '.' suffix: the strfile indexes (*.dat), the
// *.u8 symlinks and sub-directories (off/ for the offensive set) are skipped, as are all
// symlinks. Categories come sorted by name. Entries keep their text as written (line breaks
// and indentation included, the trailing blank lines dropped); empty entries are skipped.
// A NUL byte or invalid UTF-8 raises an autopeft::data::line_error (a file_error)
// "<path>:<line>: ...".
//
// Example:
//   auto f = autopeft::data::fortunes::load();  // /usr/share/games/fortunes
//   for (const auto& c : f.categories()) std::cout << c.name << ' ' << c.entries.size() << '\n';
#include <autopeft/data/detail/text_file.hpp>
#include <autopeft/data/line_error.hpp>
#include <autopeft/error.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autopeft::data {

namespace detail {

/// The byte index of the first invalid UTF-8 sequence in `s`, or npos.
inline std::size_t invalid_utf8_at(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned min = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0U) == 0xc0U) { len = 2; min = 0x80; }
    else if ((c & 0xf0U) == 0xe0U) { len = 3; min = 0x800; }
    else if ((c & 0xf8U) == 0xf0U) { len = 4; min = 0x10000; }
    else return i;
    if (i + len > s.size()) return i;
    unsigned cp = c & (0x7fU >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0U) != 0x80U) return i;
      cp = (cp << 6) | (d & 0x3fU);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace detail

class fortunes {
 public:
  static constexpr std::string_view default_dir = "/usr/share/games/fortunes";

  struct entry {
    std::string text;      // as written, lines joined by '\n'
    std::size_t line = 0;  // 1-based line of its first line in the category file
  };

  struct category {
    std::string name;  // the file name: "computers", "science", ...
    std::filesystem::path file;
    std::vector<entry> entries;
  };

  fortunes() = default;
  explicit fortunes(std::vector<category> categories) : categories_(std::move(categories)) {}

  /// Every category file of `dir`.
  [[nodiscard]] static fortunes load(const std::filesystem::path& dir = default_dir) {
    const std::string hint =
        "the embedded benchmark needs the fortune cookie files: install them with "
        "`apt-get install wordnet-base fortunes`, or pass the directory that holds them "
        "(embedded_benchmark_options::fortunes_dir)";
    if (!std::filesystem::is_directory(dir)) throw file_error(dir, "no such directory; " + hint);
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.is_symlink() || !e.is_regular_file()) continue;
      if (e.path().filename().string().find('.') != std::string::npos) continue;
      files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw file_error(dir, "holds no fortune files (regular files without a '.' in their name); " + hint);
    std::vector<category> cats;
    cats.reserve(files.size());
    for (const auto& f : files)
      cats.push_back(parse(detail::read_text_file(f, hint), f, f.filename().string()));
    return fortunes(std::move(cats));
  }

  /// The entries of one category file's text; `file` names it in errors.
  [[nodiscard]] static category parse(std::string_view text, const std::filesystem::path& file,
                                      std::string name) {
    category c{std::move(name), file, {}};
    std::string current;
    std::size_t first_line = 0;
    const auto flush = [&] {
      while (!current.empty() && (current.back() == '\n' || current.back() == ' ' ||
                                  current.back() == '\t' || current.back() == '\r'))
        current.pop_back();
      const bool blank = current.find_first_not_of(" \t\n") == std::string::npos;
      if (!blank) c.entries.push_back({std::move(current), first_line});
      current.clear();
      first_line = 0;
    };
    detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
      if (line.find('\0') != std::string_view::npos)
        throw line_error(file, number, "holds a NUL byte: this is not a fortune text file "
                                               "(strfile's .dat indexes are binary; pass the text file)");
      if (const std::size_t bad = detail::invalid_utf8_at(line); bad != std::string_view::npos)
        throw line_error(file, number,
                                 "invalid UTF-8 at byte " + std::to_string(bad + 1) +
                                     " of the line; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)");
      if (line == "%") {
        flush();
        return;
      }
      if (first_line == 0) {
        if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // leading blank lines
        first_line = number;
      }
      current.append(line);
      current.push_back('\n');
    });
    flush();
    return c;
  }

  [[nodiscard]] const std::vector<category>& categories() const noexcept { return categories_; }

 private:
  std::vector<category> categories_;
};

}  // namespace autopeft::data
