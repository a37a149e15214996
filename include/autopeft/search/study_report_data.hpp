#pragma once
// A PEFT study's report_data, read from its store: the trial table, the hypervolume after each
// trial, the Pareto set with its re-training (the "<study>:final" companion study) and the
// hand-designed baselines (the "<study>:baselines" companion study, whose trials carry their
// name in params "_name").
//
// It expects AutoPEFT's two objectives in this order: the task metric (maximised), then the
// trainable parameters in % of the backbone (minimised).
//
// Example:
//   auto data = search::study_report_data(store, study, {.reference = {{0.25, 26.0}}, .task_name = "wn_pos"});
//   search::write_report(data, "report.html");
#include <autopeft/error.hpp>
#include <autopeft/mobo/pareto/hypervolume.hpp>
#include <autopeft/search/pareto_trials.hpp>
#include <autopeft/search/report_data.hpp>
#include <autopeft/search/retrain_pareto.hpp>
#include <autopeft/search/study_store.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

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

/// The name of the companion study holding the baselines.
[[nodiscard]] inline std::string baselines_study_name(const study_record& study) { return study.name + ":baselines"; }

namespace detail {
inline nlohmann::json visible_params(const nlohmann::json& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : p.items())
    if (k.empty() || k[0] != '_') out[k] = v;
  return out;
}
}  // namespace detail

[[nodiscard]] inline report_data study_report_data(const study_store& store, const study_record& study,
                                                   const study_report_options& o = {}) {
  if (study.objectives.size() != 2 || study.objectives[0].minimize || !study.objectives[1].minimize)
    throw error("study_report_data: study \"" + study.name +
                "\" does not have the PEFT objectives (a maximised metric, then a minimised % of parameters)");
  report_data r;
  r.study_name = study.name;
  r.task_name = o.task_name;
  r.metric_name = study.objectives[0].name;
  r.backbone = o.backbone;
  r.settings = o.settings;
  r.reference = o.reference;
  const auto trials = store.trials(study);
  std::vector<double> y;  // maximised
  for (const auto& t : trials) {
    report_data::trial_row row{.number = static_cast<int>(t.number), .state = t.state, .params = detail::visible_params(t.params),
                               .seconds = t.duration_s.value_or(0.0), .error = t.error.value_or("")};
    if (t.state == trial_state::complete && t.objectives) {
      row.metric = (*t.objectives)[0];
      row.pct_params = (*t.objectives)[1];
      y.push_back((*t.objectives)[0]);
      y.push_back(-(*t.objectives)[1]);
    }
    if (o.reference) {
      const auto n = static_cast<std::int64_t>(y.size() / 2);
      r.hypervolume.push_back(n == 0 ? 0.0
                                     : mobo::hypervolume(torch::tensor(y, torch::kFloat64).view({n, 2}),
                                                         torch::tensor({o.reference->metric, -o.reference->pct_params}, torch::kFloat64)));
    }
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
  for (const auto& s : store.list_studies()) {
    if (s.name != baselines_study_name(study)) continue;
    for (const auto& t : store.trials(s))
      if (t.state == trial_state::complete && t.objectives)
        r.baselines.push_back({.name = t.params.value("_name", "trial " + std::to_string(t.number)),
                               .metric = (*t.objectives)[0],
                               .pct_params = (*t.objectives)[1]});
  }
  return r;
}

}  // namespace autopeft::search
