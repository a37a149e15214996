#pragma once
// WordNet 3.0's four data files (data.noun, data.verb, data.adj, data.adv), parsed into synsets
// with their pointers resolved and checked.
//
// The parser follows man 5 wndb field by field, with std::string_view and std::from_chars (no
// regex, no locale, no per-field allocation besides the strings kept): the whole database,
// about 118k synsets, loads in a fraction of a second. A line that breaks the format raises an
// autopeft::data::line_error (a file_error) "<path>:<line>: <what is wrong>"; missing files
// raise a file_error that says to install Debian's wordnet-base or to pass the directory.
//
// Example:
//   auto wn = autopeft::data::wordnet::load();            // /usr/share/wordnet
//   const synset& s = wn.synsets()[wn.index_of('n', 2084071)];
//   // s.words[0] == "dog", s.lex_name() == "noun.animal"
#include <autopeft/data/detail/text_file.hpp>
#include <autopeft/data/line_error.hpp>
#include <autopeft/data/synset.hpp>
#include <autopeft/error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace autopeft::data {

namespace detail {

inline const std::string wndb_hint =
    " (man 5 wndb gives the format; reinstall wordnet-base if the file was altered)";

/// Walks the space-separated fields of one data-file line.
struct wndb_fields {
  std::string_view rest;
  const std::filesystem::path& file;
  std::size_t line;

  std::string_view next(std::string_view field) {
    if (rest.empty())
      throw line_error(file, line, "the line ends before field '" + std::string(field) + "'" + wndb_hint);
    const std::size_t space = rest.find(' ');
    const std::string_view token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    if (token.empty())
      throw line_error(file, line, "an empty field where '" + std::string(field) +
                                       "' should be (fields are separated by one space)" + wndb_hint);
    return token;
  }

  template <class T>
  T number(std::string_view field, int base) {
    const std::string_view token = next(field);
    T value{};
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value, base);
    if (ec != std::errc{} || end != token.data() + token.size())
      throw line_error(file, line, "field '" + std::string(field) + "' is '" + std::string(token) +
                                       "', expected a " + (base == 16 ? "hexadecimal" : "decimal") +
                                       " number" + wndb_hint);
    return value;
  }
};

/// An offset as the data files write it: eight digits, zero-filled.
inline std::string offset8(std::uint32_t offset) {
  std::string digits = std::to_string(offset);
  return std::string(digits.size() < 8 ? 8 - digits.size() : 0, '0') + digits;
}

inline bool is_ss_type(char c) { return c == 'n' || c == 'v' || c == 'a' || c == 's' || c == 'r'; }

/// Splits a gloss into its definition and its quoted examples. Examples start at the first '"'
/// that opens the gloss or follows a ';' or ':' (spaces aside); a quote inside the definition,
/// as in `(especially in the phrase "make strides")`, stays in the definition. Text between
/// examples (attributions such as "- Shakespeare") is dropped; an unclosed last quote runs to
/// the end of the gloss.
inline void split_gloss(std::string_view gloss, std::string& definition,
                        std::vector<std::string>& examples) {
  std::size_t start = std::string_view::npos;
  for (std::size_t q = gloss.find('"'); q != std::string_view::npos; q = gloss.find('"', q + 1)) {
    std::size_t before = q;
    while (before > 0 && gloss[before - 1] == ' ') --before;
    if (before == 0 || gloss[before - 1] == ';' || gloss[before - 1] == ':') {
      start = q;
      break;
    }
  }
  std::string_view def = gloss.substr(0, start);
  while (!def.empty() && (def.back() == ' ' || def.back() == ';' || def.back() == ':'))
    def.remove_suffix(1);
  definition = squeeze(def);
  for (std::size_t open = start; open != std::string_view::npos;) {
    const std::size_t close = gloss.find('"', open + 1);
    std::string_view text = gloss.substr(open + 1, close == std::string_view::npos
                                                       ? std::string_view::npos
                                                       : close - open - 1);
    while (!text.empty() && (text.back() == ' ' || text.back() == ';')) text.remove_suffix(1);
    std::string example = squeeze(text);
    if (!example.empty()) examples.push_back(std::move(example));
    if (close == std::string_view::npos) break;
    open = gloss.find('"', close + 1);
  }
}

}  // namespace detail

class wordnet {
 public:
  static constexpr std::string_view default_dir = "/usr/share/wordnet";
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  /// Loads data.noun, data.verb, data.adj and data.adv from `dir` and checks that every
  /// pointer names an existing synset.
  [[nodiscard]] static wordnet load(const std::filesystem::path& dir = default_dir) {
    static constexpr std::array<std::pair<char, const char*>, 4> files{
        {{'n', "data.noun"}, {'v', "data.verb"}, {'a', "data.adj"}, {'r', "data.adv"}}};
    const std::string hint =
        "the embedded benchmark needs WordNet 3.0's data files: install them with "
        "`apt-get install wordnet-base fortunes`, or pass the directory that holds data.noun, "
        "data.verb, data.adj and data.adv (embedded_benchmark_options::wordnet_dir)";
    if (!std::filesystem::is_directory(dir)) throw file_error(dir, "no such directory; " + hint);
    wordnet wn;
    for (std::size_t f = 0; f < files.size(); ++f) {
      const auto path = dir / files[f].second;
      if (!std::filesystem::is_regular_file(path)) throw file_error(path, "missing; " + hint);
      wn.files_[f] = path;
      auto part = parse(detail::read_text_file(path, hint), path, files[f].first);
      wn.begin_[f] = wn.synsets_.size();
      wn.synsets_.insert(wn.synsets_.end(), std::make_move_iterator(part.begin()),
                         std::make_move_iterator(part.end()));
    }
    wn.begin_[4] = wn.synsets_.size();
    wn.check_pointers();
    return wn;
  }

  /// The synsets of one data file's text; `file_pos` is the file's part of speech ('n', 'v',
  /// 'a' or 'r') and `file` names it in errors. Licence lines (two leading spaces) and blank
  /// lines are skipped; offsets must increase from line to line, as grind writes them.
  [[nodiscard]] static std::vector<synset> parse(std::string_view text,
                                                 const std::filesystem::path& file, char file_pos) {
    std::vector<synset> out;
    out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
    detail::for_each_line(text, [&](std::string_view line, std::size_t number) {
      if (line.empty() || line.starts_with("  ")) return;
      out.push_back(parse_line(line, file, number, file_pos));
      if (out.size() > 1 && out.back().offset <= out[out.size() - 2].offset)
        throw line_error(
            file, number,
            "synset_offset " + detail::offset8(out.back().offset) +
                " is not greater than the previous synset's " +
                detail::offset8(out[out.size() - 2].offset) + "; data files are sorted by offset" +
                detail::wndb_hint);
    });
    return out;
  }

  /// All synsets: nouns, then verbs, adjectives (with satellites) and adverbs, each in file order.
  [[nodiscard]] const std::vector<synset>& synsets() const noexcept { return synsets_; }

  /// The index in synsets() of the synset at `offset` of the data file of `pos` (n, v, a, s, r),
  /// or npos.
  [[nodiscard]] std::size_t index_of(char pos, std::uint32_t offset) const noexcept {
    const std::size_t f = file_index(pos);
    if (f == npos) return npos;
    const auto first = synsets_.begin() + static_cast<std::ptrdiff_t>(begin_[f]);
    const auto last = synsets_.begin() + static_cast<std::ptrdiff_t>(begin_[f + 1]);
    const auto it = std::lower_bound(first, last, offset,
                                     [](const synset& s, std::uint32_t o) { return s.offset < o; });
    return it != last && it->offset == offset ? static_cast<std::size_t>(it - synsets_.begin()) : npos;
  }

  /// The data file that holds synsets of `pos` (empty for an unknown pos).
  [[nodiscard]] const std::filesystem::path& file_of(char pos) const noexcept {
    static const std::filesystem::path none;
    const std::size_t f = file_index(pos);
    return f == npos ? none : files_[f];
  }

 private:
  static std::size_t file_index(char pos) noexcept {
    switch (pos) {
      case 'n': return 0;
      case 'v': return 1;
      case 'a': case 's': return 2;
      case 'r': return 3;
      default: return npos;
    }
  }

  static synset parse_line(std::string_view line, const std::filesystem::path& file,
                           std::size_t number, char file_pos) {
    const std::size_t bar = line.find(" | ");
    const bool ends_with_bar = line.ends_with(" |");
    if (bar == std::string_view::npos && !ends_with_bar)
      throw line_error(file, number, "no ' | ' before the gloss" + detail::wndb_hint);
    synset s;
    s.line = number;
    detail::wndb_fields f{line.substr(0, bar == std::string_view::npos ? line.size() - 2 : bar),
                          file, number};
    s.offset = f.number<std::uint32_t>("synset_offset", 10);
    s.lex_filenum = f.number<int>("lex_filenum", 10);
    if (wordnet_lexname(s.lex_filenum).empty())
      throw line_error(file, number,
                               "lex_filenum " + std::to_string(s.lex_filenum) +
                                   " is not one of WordNet 3.0's lexicographer files (00-44)" +
                                   detail::wndb_hint);
    const std::string_view type = f.next("ss_type");
    if (type.size() != 1 || !detail::is_ss_type(type[0]) ||
        (type[0] == 's' ? 'a' : type[0]) != file_pos)
      throw line_error(file, number,
                               "ss_type '" + std::string(type) + "' does not belong in a data file of part of speech '" +
                                   std::string(1, file_pos) + "' (n, v, a or s, r)" + detail::wndb_hint);
    s.pos = type[0];
    const auto w_cnt = f.number<unsigned>("w_cnt", 16);
    if (w_cnt == 0) throw line_error(file, number, "w_cnt is 0: a synset has at least one word" + detail::wndb_hint);
    s.words.reserve(w_cnt);
    for (unsigned w = 0; w < w_cnt; ++w) {
      std::string_view word = f.next("word");
      if (file_pos == 'a') {
        for (std::string_view marker : {"(a)", "(p)", "(ip)"})
          if (word.size() > marker.size() && word.ends_with(marker)) word.remove_suffix(marker.size());
      }
      std::string& kept = s.words.emplace_back(word);
      std::replace(kept.begin(), kept.end(), '_', ' ');
      (void)f.number<unsigned>("lex_id", 16);
    }
    const auto p_cnt = f.number<unsigned>("p_cnt", 10);
    s.pointers.reserve(p_cnt);
    for (unsigned p = 0; p < p_cnt; ++p) {
      synset::pointer& ptr = s.pointers.emplace_back();
      ptr.symbol = f.next("pointer_symbol");
      ptr.target = f.number<std::uint32_t>("pointer synset_offset", 10);
      const std::string_view pos = f.next("pointer pos");
      if (pos.size() != 1 || !detail::is_ss_type(pos[0]))
        throw line_error(file, number, "pointer " + std::to_string(p + 1) + " has pos '" +
                                                   std::string(pos) + "', expected n, v, a, s or r" +
                                                   detail::wndb_hint);
      ptr.pos = pos[0];
      const std::string_view st = f.next("pointer source/target");
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(st.data(), st.data() + st.size(), value, 16);
      if (st.size() != 4 || ec != std::errc{} || end != st.data() + st.size())
        throw line_error(file, number, "pointer " + std::to_string(p + 1) + " has source/target '" +
                                                   std::string(st) + "', expected four hexadecimal digits" +
                                                   detail::wndb_hint);
      ptr.source_word = static_cast<std::uint8_t>(value >> 8);
      ptr.target_word = static_cast<std::uint8_t>(value & 0xffU);
    }
    if (file_pos == 'v' && !f.rest.empty()) {
      const auto f_cnt = f.number<unsigned>("f_cnt", 10);
      for (unsigned k = 0; k < f_cnt; ++k) {
        if (f.next("'+' of a verb frame") != "+")
          throw line_error(file, number, "verb frame " + std::to_string(k + 1) +
                                                     " does not start with '+'" + detail::wndb_hint);
        (void)f.number<unsigned>("f_num", 10);
        (void)f.number<unsigned>("w_num", 16);
      }
    }
    if (!f.rest.empty())
      throw line_error(file, number, "unexpected '" + std::string(f.rest.substr(0, 40)) +
                                                 "' before the gloss's '|' (p_cnt says " +
                                                 std::to_string(p_cnt) + " pointers)" + detail::wndb_hint);
    if (bar != std::string_view::npos)
      detail::split_gloss(line.substr(bar + 3), s.definition, s.examples);
    return s;
  }

  void check_pointers() const {
    for (const synset& s : synsets_)
      for (std::size_t p = 0; p < s.pointers.size(); ++p) {
        const auto& ptr = s.pointers[p];
        if (index_of(ptr.pos, ptr.target) == npos)
          throw line_error(
              file_of(s.pos), s.line,
              "pointer " + std::to_string(p + 1) + " ('" + ptr.symbol + "' " + detail::offset8(ptr.target) +
                  " " + std::string(1, ptr.pos) + ") names no synset of " + file_of(ptr.pos).filename().string() +
                  "; the data files are truncated or come from different WordNet versions "
                  "(reinstall wordnet-base)");
      }
  }

  std::vector<synset> synsets_;
  std::array<std::size_t, 5> begin_{};
  std::array<std::filesystem::path, 4> files_;
};

}  // namespace autopeft::data
