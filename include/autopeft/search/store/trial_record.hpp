#pragma once
// A trial as a study_store holds it.
#include <autopeft/search/store/trial_fidelity.hpp>
#include <autopeft/search/store/trial_provenance.hpp>
#include <autopeft/search/store/trial_state.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

/// One trial of a study. Timestamps are UTC, ISO 8601 with milliseconds
/// ("2026-11-22T09:30:00.125Z"), taken from the store's clock when the change was committed.
struct trial_record {
  std::int64_t number = 0;  // 0-based, in order of creation within the study
  trial_state state = trial_state::waiting;
  nlohmann::json params;                            // a JSON object: the configuration
  std::optional<std::vector<double>> objectives;    // set once complete; study's order
  nlohmann::json extra = nlohmann::json::object();  // further metrics, set by complete
  std::uint64_t seed = 0;
  std::optional<std::string> error;  // why it failed or was pruned
  std::string created;
  std::optional<std::string> started;    // when it became running
  std::optional<std::string> finished;   // when it became complete, failed or pruned
  std::optional<double> duration_s;      // of the evaluation, in seconds
  std::optional<std::string> worker;     // who ran it: "host:pid" unless the caller named it
  std::optional<std::string> heartbeat;  // last sign of life while running
  std::optional<std::int64_t> retry_of;  // the interrupted trial this one re-runs
  std::optional<trial_fidelity> fidelity;  // the rung it runs at; none in a single-fidelity study
  trial_provenance provenance;             // where it came from (origin, label, source trial)
};

}  // namespace autopeft::search
