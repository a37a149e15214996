#pragma once
// A study as a study_store holds it.
#include <autopeft/search/store/study_objective.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

/// A named study of a study_store: what create_study was given, plus the row id and the
/// creation time. The store's trial functions take a study_record to say which study they act
/// on; a study never changes after it is created, so a record does not go stale.
struct study_record {
  std::int64_t id = 0;                      // row id inside its store file
  std::string name;                         // unique within the store
  std::vector<study_objective> objectives;  // order of trial_record::objectives
  nlohmann::json config;                    // the study's settings, free-form
  std::uint64_t seed = 0;
  std::string created;  // UTC, ISO 8601 with milliseconds: "2026-11-22T09:30:00.125Z"
  /// A companion study (a search's re-training or baselines) names its study and its role;
  /// a study of its own has neither.
  std::optional<std::int64_t> parent_id;
  std::string role;
};

}  // namespace autopeft::search
