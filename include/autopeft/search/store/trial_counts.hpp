#pragma once
// How many trials of a study are in each state.
#include <cstdint>

namespace autopeft::search {

/// The trials of one study by state, as study_store::counts reads them in one query.
struct trial_counts {
  std::int64_t waiting = 0;
  std::int64_t running = 0;
  std::int64_t complete = 0;
  std::int64_t failed = 0;
  std::int64_t pruned = 0;

  [[nodiscard]] constexpr std::int64_t total() const noexcept {
    return waiting + running + complete + failed + pruned;
  }
  friend bool operator==(const trial_counts&, const trial_counts&) = default;
};

}  // namespace autopeft::search
