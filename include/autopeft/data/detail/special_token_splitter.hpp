#pragma once
// Finds special tokens in raw text, as HF tokenizers' AddedVocabulary does for tokens with
// normalized=False: leftmost-longest matches, lstrip / rstrip swallowing the adjacent White_Space;
// the text between matches goes through the normal pipeline.
#include <autopeft/data/added_token.hpp>
#include <autopeft/data/detail/unicode.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::data::detail {

class special_token_splitter {
 public:
  void add(const added_token& t, std::int64_t id) {
    if (t.content.empty()) return;
    tokens_.push_back({t, id});
    first_[static_cast<unsigned char>(t.content[0])] = true;
  }

  /// Calls on_text(std::string_view) for each non-empty stretch of ordinary text and
  /// on_special(std::int64_t id) for each special token, in order, until one returns false.
  template <class OnText, class OnSpecial>
  void split(std::string_view s, OnText&& on_text, OnSpecial&& on_special) const {
    if (tokens_.empty()) {
      if (!s.empty()) on_text(s);
      return;
    }
    std::size_t done = 0;  // end of what has been handed out
    std::size_t i = 0;
    while (i < s.size()) {
      if (!first_[static_cast<unsigned char>(s[i])]) {
        ++i;
        continue;
      }
      const entry* best = nullptr;
      for (const auto& t : tokens_)
        if (s.compare(i, t.token.content.size(), t.token.content) == 0 &&
            (!best || t.token.content.size() > best->token.content.size()))
          best = &t;
      if (!best) {
        ++i;
        continue;
      }
      std::size_t start = i, stop = i + best->token.content.size();
      if (best->token.lstrip) start = std::max(done, detail::white_space_run_start(s, start));
      if (best->token.rstrip) stop = detail::white_space_run_end(s, stop);
      if (start > done && !on_text(s.substr(done, start - done))) return;
      if (!on_special(best->id)) return;
      done = stop;
      i = stop;
    }
    if (done < s.size()) on_text(s.substr(done));
  }

  [[nodiscard]] bool empty() const noexcept { return tokens_.empty(); }

 private:
  struct entry {
    added_token token;
    std::int64_t id;
  };

  std::vector<entry> tokens_;
  std::array<bool, 256> first_{};
};

}  // namespace autopeft::data::detail
