#pragma once
// The fidelity a trial runs at, as the study store records it: a rung of the study's fidelity
// schedule (0 = the cheapest), the resources that rung grants the evaluator (for a PEFT trial
// {"train_samples": 500, "epochs": 1}: see peft_evaluator), and its cost relative to the other
// rungs, the unit of study_options::max_cost.
//
// Example (the schedule of a multi-fidelity study, three rungs, each three times dearer):
//   o.fidelities = {{.resources = {{"train_samples", 300}, {"epochs", 1}}, .cost = 1},
//                   {.resources = {{"train_samples", 900}, {"epochs", 1}}, .cost = 3},
//                   {.resources = {{"train_samples", 2700}, {"epochs", 1}}, .cost = 9}};
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <string>

namespace autopeft::search {

struct trial_fidelity {
  std::int64_t level = 0;  ///< the rung: 0 is the cheapest
  nlohmann::json resources = nlohmann::json::object();
  double cost = 1.0;  ///< relative cost of one evaluation at this rung (> 0)

  friend bool operator==(const trial_fidelity&, const trial_fidelity&) = default;

  [[nodiscard]] nlohmann::json to_json() const { return {{"level", level}, {"resources", resources}, {"cost", cost}}; }

  /// Reads what to_json wrote; errors name `where` and the field.
  static trial_fidelity from_json(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) throw error(where + ": fidelity must be a JSON object {level, resources, cost}, not " + j.dump());
    trial_fidelity f;
    const auto level = j.find("level");
    if (level == j.end() || !level->is_number_integer() || level->get<std::int64_t>() < 0)
      throw error(where + ": fidelity field 'level' must be an integer >= 0");
    f.level = level->get<std::int64_t>();
    if (const auto r = j.find("resources"); r != j.end()) {
      if (!r->is_object()) throw error(where + ": fidelity field 'resources' must be a JSON object");
      f.resources = *r;
    }
    if (const auto c = j.find("cost"); c != j.end()) {
      if (!c->is_number() || !(c->get<double>() > 0) || !std::isfinite(c->get<double>()))
        throw error(where + ": fidelity field 'cost' must be a positive number");
      f.cost = c->get<double>();
    }
    return f;
  }
};

}  // namespace autopeft::search
