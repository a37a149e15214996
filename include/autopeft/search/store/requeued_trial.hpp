#pragma once
// A trial that a crash left running, and the waiting copy that re-runs it.
#include <cstdint>

namespace autopeft::search {

/// One entry of study_store::requeue_running's answer: trial `interrupted` was failed with
/// reason "interrupted: ...", and trial `requeued` (waiting, same params and seed, retry_of =
/// interrupted) takes its place.
struct requeued_trial {
  std::int64_t interrupted = 0;
  std::int64_t requeued = 0;
  friend bool operator==(const requeued_trial&, const requeued_trial&) = default;
};

}  // namespace autopeft::search
