#pragma once
// The counting core of a BPE-style trainer (Sennrich et al., 2016, "Neural Machine Translation
// of Rare Words with Subword Units", §3.1), organised as HF tokenizers' BpeTrainer: words are
// symbol-id sequences with corpus counts; the count of each adjacent pair, weighted by word
// count, is kept up to date incrementally; an index from each pair to the words that hold it
// limits a merge to those words; a max-heap with lazy invalidation finds the next pair.
//
// Each merge costs time in the words that hold the pair, not in the corpus, so thousands of
// merges over 10^5 distinct words take seconds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace autopeft::data::detail {

class pair_merger {
 public:
  using symbol = std::uint32_t;

  struct candidate {
    symbol left = 0, right = 0;
    std::uint64_t count = 0;  // occurrences in the corpus (word occurrences x count)
  };

  /// `words[i]` occurs `counts[i]` times in the corpus.
  pair_merger(std::vector<std::vector<symbol>> words, std::vector<std::uint64_t> counts)
      : words_(std::move(words)), counts_(std::move(counts)) {
    for (std::uint32_t w = 0; w < words_.size(); ++w) {
      const auto& s = words_[w];
      for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const auto k = key(s[i], s[i + 1]);
        count_[k] += static_cast<std::int64_t>(counts_[w]);
        note_word(k, w);
      }
    }
    for (const auto& [k, c] : count_)
      if (c > 0) heap_.push({static_cast<std::uint64_t>(c), k});
  }

  /// The most frequent adjacent pair; ties go to the smaller left id, then the smaller right
  /// id (HF's rule). nullopt when no pair is left.
  [[nodiscard]] std::optional<candidate> best() {
    // Invariant: each pair with a positive count has a heap entry at least as large (every
    // increase pushes one), so the first entry that matches its pair's count is the maximum.
    while (!heap_.empty()) {
      const entry top = heap_.top();
      const auto it = count_.find(top.key);
      const std::int64_t now = it == count_.end() ? 0 : it->second;
      if (static_cast<std::int64_t>(top.count) == now)
        return candidate{static_cast<symbol>(top.key >> 32), static_cast<symbol>(top.key), top.count};
      heap_.pop();
      if (now > 0 && static_cast<std::uint64_t>(now) < top.count)
        heap_.push({static_cast<std::uint64_t>(now), top.key});
    }
    return std::nullopt;
  }

  /// Replaces every occurrence of (left, right), left to right within each word, by
  /// `replacement`, and updates the counts of the neighbouring pairs.
  void merge(symbol left, symbol right, symbol replacement) {
    const auto merged = key(left, right);
    auto node = where_.extract(merged);
    count_.erase(merged);  // a greedy pass leaves no adjacent (left, right) behind
    if (node.empty()) return;
    grown_.clear();
    auto add = [&](std::uint64_t k, std::int64_t delta, std::uint32_t w) {
      if (k == merged) return;
      count_[k] += delta;
      if (delta > 0) {
        note_word(k, w);
        grown_.push_back(k);
      }
    };
    for (const std::uint32_t w : node.mapped()) {
      auto& s = words_[w];
      const auto c = static_cast<std::int64_t>(counts_[w]);
      std::size_t out = 0;
      for (std::size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          if (out > 0) {
            add(key(s[out - 1], left), -c, w);
            add(key(s[out - 1], replacement), c, w);
          }
          if (i + 2 < s.size()) {
            add(key(right, s[i + 2]), -c, w);
            add(key(replacement, s[i + 2]), c, w);
          }
          s[out++] = replacement;
          i += 2;
        } else {
          s[out++] = s[i++];
        }
      }
      s.resize(out);
    }
    std::sort(grown_.begin(), grown_.end());
    grown_.erase(std::unique(grown_.begin(), grown_.end()), grown_.end());
    for (const auto k : grown_)
      if (const auto c = count_[k]; c > 0) heap_.push({static_cast<std::uint64_t>(c), k});
  }

 private:
  struct entry {
    std::uint64_t count;
    std::uint64_t key;
    // std::priority_queue pops the largest: higher count, then smaller (left, right).
    friend bool operator<(const entry& a, const entry& b) {
      return a.count != b.count ? a.count < b.count : a.key > b.key;
    }
  };

  static std::uint64_t key(symbol a, symbol b) { return (std::uint64_t{a} << 32) | b; }

  // The index may name words that no longer hold the pair (a merge there is a no-op), but
  // never misses one that does.
  void note_word(std::uint64_t k, std::uint32_t w) {
    auto& ws = where_[k];
    if (ws.empty() || ws.back() != w) ws.push_back(w);
  }

  std::vector<std::vector<symbol>> words_;
  std::vector<std::uint64_t> counts_;
  std::unordered_map<std::uint64_t, std::int64_t> count_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where_;
  std::priority_queue<entry> heap_;
  std::vector<std::uint64_t> grown_;
};

}  // namespace autopeft::data::detail
