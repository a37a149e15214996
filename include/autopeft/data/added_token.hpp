#pragma once
// A special token as HF tokenizers' AddedToken describes it: its text, and whether a match in the
// input swallows the whitespace before (lstrip) or after (rstrip) it.
#include <string>

namespace autopeft::data {

/// A special token recognised in raw text before normalisation (HF: AddedToken with
/// normalized=False, special=True). roberta-base's "<mask>" has lstrip = true, so that
/// "a <mask>" keeps the space out of the preceding word; BERT's tokens strip nothing.
struct added_token {
  std::string content{};
  bool lstrip = false;
  bool rstrip = false;
};

}  // namespace autopeft::data
