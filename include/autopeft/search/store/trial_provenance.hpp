#pragma once
// Where a trial came from: the run's bookkeeping, stored in columns of its own beside the
// configuration (params holds the configuration only).
#include <cstdint>
#include <optional>
#include <string>

namespace autopeft::search {

/// Who made a trial and from what. Origins the library writes: "initial" (the initial design),
/// "mobo" (an acquisition's proposal), "promotion" (a multi-fidelity promotion of `source`),
/// "retrain" (a re-training of the parent study's trial `source`, seed `seed_index`), "grid"
/// and "final" (a hand-designed baseline's learning-rate grid run and its re-training runs).
/// An empty origin is a trial its caller enqueued without saying.
struct trial_provenance {
  std::string origin;
  std::string label;                       ///< a display name (a baseline's "LoRA r=8"); "" for none
  std::optional<std::int64_t> source;      ///< the trial it derives from (same or parent study)
  std::optional<std::int64_t> seed_index;  ///< k for the k-th run of a repeated configuration

  friend bool operator==(const trial_provenance&, const trial_provenance&) = default;
};

}  // namespace autopeft::search
