#pragma once
// A PEFT study's report_data, read from its store: the trial table, the hypervolume after each
// trial, the Pareto set with its re-training (the companion study with role "final") and the
// hand-designed baselines (the companion with role "baselines").
//
// A baseline's trials carry params "method" (short name) and "lr", and their provenance gives
// the label and the stage as origin: first a learning-rate grid (origin "grid", one seed per
// rate), then runs at the chosen rate with several seeds (origin "final"). One baseline row per
// label holds the mean and sample standard deviation of its complete final runs, and its grid
// (a failed grid run as a NaN metric). Stores written before stages existed hold one trial per
// baseline with a label only: each complete one is a row of its own (one run).
//
// It expects AutoPEFT's two objectives first, in this order: the task metric (maximised), then
// the trainable parameters in % of the backbone (minimised). Further objectives (extra_objective:
// step_ms, peak_memory_mb) are shown in the trial table; the plot and the hypervolume curve are
// those of the metric-vs-params projection, so the reference point has two values whatever the
// study's objectives. The Pareto rows are the study's Pareto set in all its objectives (what
// retrain_pareto re-trains), so the verdicts weigh every re-trained configuration on metric and
// parameters; the plot's step line keeps those not dominated in the plane.
//
// Example:
//   auto data = search::study_report_data(store, study, {.reference = {{0.25, 26.0}}, .task_name = "wn_pos"});
//   search::write_report(data, "report.html");
#include <autopeft/error.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/search/study/pareto_trials.hpp>
#include <autopeft/search/report/report_data.hpp>
#include <autopeft/search/study/retrain_pareto.hpp>
#include <autopeft/search/store/study_store.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::search {

struct study_report_options {
  std::optional<report_data::reference_point> reference;  ///< for the hypervolume curve
  std::string task_name;
  std::string backbone;
  nlohmann::json settings = nlohmann::json::object();
};

namespace detail {
inline nlohmann::json visible_params(const nlohmann::json& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : p.items())
    if (k.empty() || k[0] != '_') out[k] = v;
  return out;
}

inline std::string string_param(const nlohmann::json& p, const char* key, std::string fallback = {}) {
  const auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : fallback;
}

inline std::optional<double> number_param(const nlohmann::json& p, const char* key) {
  const auto it = p.find(key);
  return it != p.end() && it->is_number() ? std::optional<double>(it->get<double>()) : std::nullopt;
}

/// The baseline rows of the baselines companion's trials, in order of each label's first trial.
inline std::vector<report_data::baseline_row> baseline_rows(const std::vector<trial_record>& trials) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  struct entry {
    report_data::baseline_row row;
    bool staged = false;
    std::vector<double> metric, pct;  // of the complete final runs
  };
  std::vector<entry> out;
  for (const auto& t : trials) {
    if (!t.params.is_object()) continue;
    const bool done = t.state == trial_state::complete && t.objectives && t.objectives->size() >= 2;
    const std::string name = t.provenance.label.empty() ? "trial " + std::to_string(t.number) : t.provenance.label;
    const std::string& stage = t.provenance.origin;
    const auto lr = number_param(t.params, "lr");
    if (stage != "grid" && stage != "final") {  // the layout before stages: one trial, one row
      if (done)
        out.push_back({.row = {.name = name, .metric = (*t.objectives)[0], .pct_params = (*t.objectives)[1],
                               .lr = lr, .runs = 1, .method = string_param(t.params, "method")}});
      continue;
    }
    // A run stopped by an interruption was re-queued as a new trial: it is no result.
    const bool failed = t.state == trial_state::failed && !(t.error && t.error->starts_with("interrupted"));
    if (!done && !failed) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const entry& e) { return e.staged && e.row.name == name; });
    if (it == out.end()) {
      out.push_back({.row = {.name = name, .metric = nan, .pct_params = nan, .runs = 0}, .staged = true});
      it = std::prev(out.end());
    }
    auto& e = *it;
    if (e.row.method.empty()) e.row.method = string_param(t.params, "method");
    if (stage == "grid") {
      if (lr) e.row.grid.push_back({.lr = *lr, .metric = done ? (*t.objectives)[0] : nan});
      if (done && e.pct.empty()) e.row.pct_params = (*t.objectives)[1];  // until a final run says
    } else if (stage == "final" && done) {
      e.metric.push_back((*t.objectives)[0]);
      e.pct.push_back((*t.objectives)[1]);
      if (!e.row.lr) e.row.lr = lr;
    }
  }
  const auto mean = [](const std::vector<double>& v) {
    double m = 0.0;
    for (double x : v) m += x / static_cast<double>(v.size());
    return m;
  };
  std::vector<report_data::baseline_row> rows;
  for (auto& e : out) {
    if (!e.metric.empty()) {
      e.row.runs = static_cast<int>(e.metric.size());
      e.row.metric = mean(e.metric);
      e.row.pct_params = mean(e.pct);
      if (e.metric.size() > 1) {
        double ss = 0.0;
        for (double x : e.metric) ss += (x - e.row.metric) * (x - e.row.metric);
        e.row.metric_std = std::sqrt(ss / static_cast<double>(e.metric.size() - 1));
      }
    }
    rows.push_back(std::move(e.row));
  }
  return rows;
}

}  // namespace detail

[[nodiscard]] inline report_data study_report_data(const study_store& store, const study_record& study,
                                                   const study_report_options& o = {}) {
  if (study.objectives.size() < 2 || study.objectives[0].minimize || !study.objectives[1].minimize)
    throw error("study_report_data: study \"" + study.name +
                "\" does not start with the PEFT objectives (a maximised metric, then a minimised % of parameters)");
  report_data r;
  r.study_name = study.name;
  r.task_name = o.task_name;
  r.metric_name = study.objectives[0].name;
  for (std::size_t i = 2; i < study.objectives.size(); ++i) r.extra_objective_names.push_back(study.objectives[i].name);
  r.backbone = o.backbone;
  r.settings = o.settings;
  r.reference = o.reference;
  // The metric-vs-params projection: the study's record and trials with their first two objectives.
  study_record plane = study;
  plane.objectives.resize(2);
  const auto trials = store.trials(study);
  std::vector<trial_record> so_far;
  for (auto t : trials) {
    report_data::trial_row row{.number = static_cast<int>(t.number), .state = t.state, .params = detail::visible_params(t.params),
                               .seconds = t.duration_s.value_or(0.0), .error = t.error.value_or("")};
    if (t.state == trial_state::complete && t.objectives && t.objectives->size() == study.objectives.size()) {
      row.metric = (*t.objectives)[0];
      row.pct_params = (*t.objectives)[1];
      row.extra_objectives.assign(t.objectives->begin() + 2, t.objectives->end());
      t.objectives->resize(2);
    }
    so_far.push_back(std::move(t));
    // As the study counts it: each configuration at the highest rung it had reached.
    if (o.reference) r.hypervolume.push_back(study_hypervolume(plane, so_far, {o.reference->metric, o.reference->pct_params}));
    r.trials.push_back(std::move(row));
  }
  const auto retrained = retrained_results(store, study);
  for (const auto& p : pareto_trials(study, trials)) {
    report_data::pareto_row row{.trial = static_cast<int>(p.number)};
    if (auto it = retrained.find(p.number); it != retrained.end() && it->second.runs > 0) {
      row.retrained_mean = it->second.mean[0];
      row.retrained_std = it->second.std[0];
      row.retrained_runs = static_cast<int>(it->second.runs);
    }
    r.pareto.push_back(row);
  }
  if (const auto s = store.find_companion(study, "baselines")) r.baselines = detail::baseline_rows(store.trials(*s));
  return r;
}

}  // namespace autopeft::search
