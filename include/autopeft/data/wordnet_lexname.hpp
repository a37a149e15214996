#pragma once
// The names of WordNet 3.0's 45 lexicographer files (man 5 lexnames), indexed by the
// lex_filenum field of the data files. Debian's wordnet-base does not ship the `lexnames`
// file itself, so the table is written out here; it is fixed for WordNet 3.0.
//
// The noun.* and verb.* names are the "supersenses" of the supersense-tagging literature
// (Ciaramita and Johnson, 2003).
#include <array>
#include <string_view>

namespace autopeft::data {

inline constexpr std::array<std::string_view, 45> wordnet_lexnames{
    "adj.all",           "adj.pert",          "adv.all",          "noun.Tops",
    "noun.act",          "noun.animal",       "noun.artifact",    "noun.attribute",
    "noun.body",         "noun.cognition",    "noun.communication", "noun.event",
    "noun.feeling",      "noun.food",         "noun.group",       "noun.location",
    "noun.motive",       "noun.object",       "noun.person",      "noun.phenomenon",
    "noun.plant",        "noun.possession",   "noun.process",     "noun.quantity",
    "noun.relation",     "noun.shape",        "noun.state",       "noun.substance",
    "noun.time",         "verb.body",         "verb.change",      "verb.cognition",
    "verb.communication", "verb.competition", "verb.consumption", "verb.contact",
    "verb.creation",     "verb.emotion",      "verb.motion",      "verb.perception",
    "verb.possession",   "verb.social",       "verb.stative",     "verb.weather",
    "adj.ppl"};

/// The lexicographer file name of `lex_filenum` (0-44), "" outside that range.
[[nodiscard]] constexpr std::string_view wordnet_lexname(int lex_filenum) noexcept {
  return lex_filenum >= 0 && lex_filenum < static_cast<int>(wordnet_lexnames.size())
             ? wordnet_lexnames[static_cast<std::size_t>(lex_filenum)]
             : std::string_view{};
}

}  // namespace autopeft::data
