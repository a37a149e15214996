#pragma once
// The measurements a PEFT study can minimise beside its two AutoPEFT objectives (the task metric
// and params_pct), appended after them in the order given (peft_evaluator::extra_objectives,
// hand_designed_evaluator::extra_objectives):
//
//   step_ms         mean wall milliseconds per optimiser step of the trial (the trainer's
//                   step_seconds; evaluation and tokenising left out).
//   peak_memory_mb  the trial's peak memory in MiB (train::peak_memory): on CUDA the caching
//                   allocator's peak of allocated bytes, the resident backbone included; on CPU
//                   the process's peak resident set (Linux's VmHWM), the whole process included.
//
// Both are minimised. Every trial records both in evaluation::extra, selected or not; a
// selected one is copied into the objectives. The names as to_string writes them are the
// objectives' names in the store and the values of the CLI setting `objectives`.
#include <autopeft/error.hpp>
#include <autopeft/search/store/study_objective.hpp>

#include <array>
#include <string>
#include <string_view>

namespace autopeft::search {

enum class extra_objective { step_ms, peak_memory_mb };

/// Every extra objective, in declaration order.
inline constexpr std::array<extra_objective, 2> all_extra_objectives{extra_objective::step_ms, extra_objective::peak_memory_mb};

/// "step_ms" or "peak_memory_mb": the objective's name and its key in evaluation::extra.
[[nodiscard]] constexpr std::string_view to_string(extra_objective o) noexcept {
  switch (o) {
    case extra_objective::step_ms: return "step_ms";
    case extra_objective::peak_memory_mb: return "peak_memory_mb";
  }
  return "unknown";
}

/// The objective named `name` (as to_string writes it); throws autopeft::error naming the valid ones.
[[nodiscard]] inline extra_objective extra_objective_from_string(std::string_view name) {
  std::string valid;
  for (const extra_objective o : all_extra_objectives) {
    if (to_string(o) == name) return o;
    valid += (valid.empty() ? "" : ", ") + std::string(to_string(o));
  }
  throw error("unknown extra objective '" + std::string(name) + "': use one of " + valid);
}

/// The study objective `o` records: its name, minimised.
[[nodiscard]] inline study_objective objective_of(extra_objective o) {
  return {.name = std::string(to_string(o)), .minimize = true};
}

}  // namespace autopeft::search
