#pragma once
// Where a trial of a study stands: the states a study_store records.
#include <optional>
#include <string_view>

namespace autopeft::search {

/// The life of a trial:
///
///   enqueue ──> waiting ──(claim / mark_running)──> running ──complete──> complete
///                  │                                  │ ───────prune───> pruned
///                  └───────────────fail───────────────┴───fail─────────> failed
///   ask ──────────────────────────────────────────> running
///
/// complete, failed and pruned are final: a finished trial never changes, so a result once
/// committed cannot be overwritten by a late or duplicated worker. A trial left running by a
/// crashed process is failed ("interrupted") by study_store::requeue_running, which enqueues a
/// fresh waiting copy of it.
enum class trial_state { waiting, running, complete, failed, pruned };

/// The state's name as the store writes it ("waiting", "running", ...).
[[nodiscard]] constexpr std::string_view to_string(trial_state s) noexcept {
  switch (s) {
    case trial_state::waiting: return "waiting";
    case trial_state::running: return "running";
    case trial_state::complete: return "complete";
    case trial_state::failed: return "failed";
    case trial_state::pruned: return "pruned";
  }
  return "unknown";
}

/// The state named `name` (as to_string writes it), or nullopt for any other text.
[[nodiscard]] constexpr std::optional<trial_state> parse_trial_state(std::string_view name) noexcept {
  for (const trial_state s : {trial_state::waiting, trial_state::running, trial_state::complete,
                              trial_state::failed, trial_state::pruned}) {
    if (to_string(s) == name) return s;
  }
  return std::nullopt;
}

/// True for the final states: complete, failed and pruned.
[[nodiscard]] constexpr bool is_finished(trial_state s) noexcept {
  return s == trial_state::complete || s == trial_state::failed || s == trial_state::pruned;
}

}  // namespace autopeft::search
