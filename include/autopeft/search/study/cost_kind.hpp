#pragma once
// Which parameter count prices a PEFT configuration (peft_evaluator's params_pct objective):
//
//   stored     what the adapted model keeps after training (peft::plan::stored_parameters):
//              prefix tuning counts its prefix P·2·L·H, not the reparametrisation MLP that only
//              trains it. The AutoPEFT reference's cost, and the default.
//   trainable  what trains (peft::plan::trainable_parameters): the MLP and its P × H embedding
//              included.
//
// The names as to_string writes them are those a study config or CLI flag gives.
#include <autopeft/error.hpp>

#include <string>
#include <string_view>

namespace autopeft::search {

enum class cost_kind { stored, trainable };

/// "stored" or "trainable".
[[nodiscard]] constexpr std::string_view to_string(cost_kind k) noexcept {
  switch (k) {
    case cost_kind::stored: return "stored";
    case cost_kind::trainable: return "trainable";
  }
  return "unknown";
}

/// The kind named `name` (as to_string writes it); throws autopeft::error naming the valid ones.
[[nodiscard]] inline cost_kind cost_kind_from_string(std::string_view name) {
  std::string valid;
  for (const cost_kind k : {cost_kind::stored, cost_kind::trainable}) {
    if (to_string(k) == name) return k;
    valid += (valid.empty() ? "" : ", ") + std::string(to_string(k));
  }
  throw error("unknown cost kind '" + std::string(name) + "': use one of " + valid);
}

}  // namespace autopeft::search
