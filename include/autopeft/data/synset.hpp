#pragma once
// One WordNet synset, as a line of a data.{noun,verb,adj,adv} file holds it (man 5 wndb):
//
//   synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...]
//       [frames...] | gloss
//
// e.g. "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n 0000 ...
//       | a member of the genus Canis ...; "the dog barked all night""
#include <autopeft/data/wordnet_lexname.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data {

struct synset {
  /// A relation to another synset (semantic: both word numbers 0) or between two of their words
  /// (lexical). Symbols are listed in man 5 wninput; the embedded benchmark uses "@" hypernym,
  /// "@i" instance hypernym and "&" similar-to.
  struct pointer {
    std::string symbol;        // "@", "@i", "~", "!", "&", "+", ";c", ...
    std::uint32_t target = 0;  // the target's synset_offset in its data file
    char pos = 'n';            // the target's ss_type: n, v, a, s or r
    std::uint8_t source_word = 0;  // 1-based word numbers of a lexical pointer, 0 when semantic
    std::uint8_t target_word = 0;
  };

  std::uint32_t offset = 0;  // synset_offset: the line's byte offset in its data file
  char pos = 'n';            // ss_type: n, v, a (adjective), s (adjective satellite), r (adverb)
  int lex_filenum = 0;       // 0-44, see wordnet_lexnames
  std::vector<std::string> words;  // as entered, '_' turned into ' ', adjective markers dropped
  std::vector<pointer> pointers;
  std::string definition;             // the gloss up to its first quoted example, trimmed
  std::vector<std::string> examples;  // the gloss's quoted usage examples, without quotes
  std::size_t line = 0;               // 1-based line in the data file

  /// The lexicographer file, e.g. "noun.animal": the synset's supersense.
  [[nodiscard]] std::string_view lex_name() const noexcept { return wordnet_lexname(lex_filenum); }

  /// The data file the synset lives in: 'n', 'v', 'a' (adjectives and satellites) or 'r'.
  [[nodiscard]] char file_pos() const noexcept { return pos == 's' ? 'a' : pos; }
};

}  // namespace autopeft::data
