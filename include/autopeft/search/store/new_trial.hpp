#pragma once
// A trial to enqueue: its configuration, seed, (optional) fidelity and provenance. What a study_storage's
// enqueue_all takes (study_store::new_trial is this type).
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/search/store/trial_provenance.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

namespace autopeft::search {

struct new_trial {
  nlohmann::json params;
  std::uint64_t seed = 0;
  std::optional<trial_fidelity> fidelity;
  trial_provenance provenance = {};
};

}  // namespace autopeft::search
