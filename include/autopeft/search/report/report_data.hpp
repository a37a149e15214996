#pragma once
// Everything the study report shows, as plain values: the report depends on no study, storage
// or tensor type, so any driver (or a script reading another tool's results) can fill it.
//
// Conventions: the task metric is MAXIMISED; the share of trainable parameters, in percent of
// the backbone's parameters (0.01 means 0.01 %), is MINIMISED.
//
// The row types are nested so that their short names stay free for the study driver's own
// types in autopeft::search; the trial state is the study store's (report_data::trial_state
// names it too).
//
// Example:
//   autopeft::search::report_data r;
//   r.study_name = "rte-lora"; r.task_name = "RTE"; r.metric_name = "accuracy";
//   r.trials.push_back({.number = 0, .state = report_data::trial_state::complete,
//                       .params = {{"r", 8}}, .metric = 0.71, .pct_params = 0.27, .seconds = 95});
//   r.baselines.push_back({.name = "LoRA r=8", .metric = 0.70, .pct_params = 0.27, .metric_std = 0.01,
//                          .lr = 5e-4, .runs = 5});
//   r.pareto.push_back({.trial = 0});
#include <autopeft/search/store/trial_state.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

struct report_data {
  using trial_state = search::trial_state;

  struct trial_row {
    int number = 0;
    trial_state state = trial_state::waiting;
    nlohmann::json params = nlohmann::json::object();  // the configuration; an object reads best
    std::optional<double> metric{};      // set for complete trials; a non-finite value counts as unset
    std::optional<double> pct_params{};  // trainable parameters, % of the backbone
    double seconds = 0.0;                // wall time of the trial
    std::string error{};                 // why a failed (or pruned) trial stopped
    std::vector<double> extra_objectives{};  // complete trials: one per extra_objective_names
  };

  /// One run of a baseline's learning-rate grid: the learning rate and the dev metric it gave.
  struct grid_run {
    double lr = 0.0;
    double metric = 0.0;
  };

  /// A hand-designed configuration the search should beat (e.g. "LoRA r=8", "Pfeiffer adapter"),
  /// trained at its chosen learning rate with `runs` seeds. A baseline whose final runs have
  /// not finished has runs == 0 and a NaN metric: it is listed, not drawn.
  struct baseline_row {
    std::string name{};
    double metric = 0.0;                 // mean over the final runs
    double pct_params = 0.0;
    std::optional<double> metric_std{};  // sample standard deviation over the runs; an error bar
    std::optional<double> lr{};          // the learning rate of the final runs
    int runs = 1;                        // final runs behind the mean
    std::string method{};                // short name, e.g. "lora8"
    std::vector<grid_run> grid{};        // the learning-rate grid that chose `lr`, in run order
  };

  /// A member of the final Pareto set, optionally re-trained with several seeds.
  struct pareto_row {
    int trial = 0;  // a trial number from `trials`
    std::optional<double> retrained_mean{}, retrained_std{};
    int retrained_runs = 0;  // seeds behind the mean; 0 when unknown
  };

  /// The hypervolume's reference point, in the objectives' own units.
  struct reference_point {
    double metric = 0.0;
    double pct_params = 100.0;
  };

  std::string study_name;
  std::string task_name;
  std::string metric_name = "metric";
  /// The study's objectives beyond the metric and the % parameters (e.g. "step_ms"), shown as
  /// columns of the trial table; the plots stay in the metric-vs-params plane.
  std::vector<std::string> extra_objective_names;
  std::string backbone;                               // e.g. "bert-base-uncased, 110 M parameters"
  nlohmann::json settings = nlohmann::json::object();  // shown key by key in the header
  std::vector<trial_row> trials;
  std::vector<baseline_row> baselines;
  std::vector<pareto_row> pareto;
  std::vector<double> hypervolume;  // [i]: hypervolume after the first i + 1 trials
  std::optional<reference_point> reference;
};

}  // namespace autopeft::search
