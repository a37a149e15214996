#pragma once
// What a trial evaluator returns for one configuration.
#include <nlohmann/json.hpp>

#include <vector>

namespace autopeft::search {

/// The outcome of one trial: the objectives, in the order and sense the study lists them
/// (a maximised metric stays as it is, a minimised cost too: the driver does the negation), and
/// further measurements the store keeps beside them.
///
/// Example:
///   return search::evaluation{.objectives = {r.best_metric, pct_params},
///                             .extra = {{"steps", r.steps}, {"step_seconds", r.step_seconds}}};
struct evaluation {
  std::vector<double> objectives;
  nlohmann::json extra = nlohmann::json::object();
};

}  // namespace autopeft::search
