#pragma once
// Deterministic train / dev / test assignment by a stable hash of a key, 80 / 10 / 10.
//
// The split of an item depends on its key alone, not on which other items exist, on caps or on
// seeds, so an item keeps its split when a task is rebuilt with other options, and every task
// built from the same source items agrees on them (the embedded benchmark's pretraining corpus
// relies on this to leave out every dev and test text). Items with equal keys always share a
// split, which is why the embedded benchmark keys a WordNet synset by its definition text:
// synsets that share a definition cannot straddle two splits.
//
// Example:
//   if (autopeft::data::hash_split("a member of the genus Canis") == split::train) ...
#include <autopeft/data/detail/fnv1a.hpp>

#include <string_view>

namespace autopeft::data {

enum class split { train, dev, test };

inline const char* to_string(split s) {
  switch (s) {
    case split::train: return "train";
    case split::dev: return "dev";
    case split::test: return "test";
  }
  return "?";
}

/// FNV-1a (64 bit) of `key`, modulo 100: [0, 80) train, [80, 90) dev, [90, 100) test.
[[nodiscard]] constexpr split hash_split(std::string_view key) noexcept {
  const auto bucket = detail::fnv1a64(key) % 100;
  return bucket < 80 ? split::train : bucket < 90 ? split::dev : split::test;
}

}  // namespace autopeft::data
