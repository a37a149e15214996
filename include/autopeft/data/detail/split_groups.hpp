#pragma once
// Collects a task's examples per split in groups that a cap keeps or drops whole (a sentence-
// pair anchor's positive and negative), then caps, flattens and shuffles each split.
#include <autopeft/data/detail/portable_rng.hpp>
#include <autopeft/data/example.hpp>
#include <autopeft/data/hash_split.hpp>
#include <autopeft/data/task.hpp>

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

namespace autopeft::data::detail {

class split_groups {
 public:
  void add(split s, std::vector<example> group) {
    groups_[static_cast<std::size_t>(s)].push_back(std::move(group));
  }

  /// Fills t.train / t.dev / t.test: groups in random order while they fit under the split's
  /// cap (0: none), then the examples shuffled so that a pair's two halves are not adjacent.
  void assemble_into(task& t, const std::array<std::size_t, 3>& caps, portable_rng& rng) {
    const std::array<std::vector<example>*, 3> out{&t.train, &t.dev, &t.test};
    for (std::size_t s = 0; s < 3; ++s) {
      auto& groups = groups_[s];
      rng.shuffle(groups);
      for (auto& g : groups) {
        if (caps[s] != 0 && out[s]->size() + g.size() > caps[s]) break;
        for (auto& e : g) out[s]->push_back(std::move(e));
      }
      rng.shuffle(*out[s]);
      groups.clear();
    }
  }

 private:
  std::array<std::vector<std::vector<example>>, 3> groups_;
};

}  // namespace autopeft::data::detail
