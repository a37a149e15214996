#pragma once
// `autopeft search` and `autopeft resume`: run an AutoPEFT study to its budget, then evaluate
// the baselines, re-train the Pareto set with several seeds, print the front and write the
// report. Every step records its trials in the store first, so `resume` after a crash or a kill
// continues where the run stopped, losing no finished trial.
#include "command_error.hpp"
#include "mobo_by_name.hpp"
#include "study_session.hpp"
#include "study_settings.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

namespace autopeft::cli {

/// What a study session loads once: the backbone and the task.
struct session_inputs {
  std::filesystem::path dir;
  train::pretrained_backbone backbone;
  data::task task;
};

inline session_inputs load_session_inputs(const study_settings& s) {
  if (s.threads > 0) torch::set_num_threads(s.threads);
  auto dir = backbone_dir(s);
  auto backbone = train::pretrained_backbone::load(dir);
  return {dir, std::move(backbone), load_task(s)};
}

/// The study options of the settings for a search with `evaluator` (which must outlive them):
/// its feasibility rule and closed-form cost, and the initial_methods' configurations first in
/// the initial design.
template <class Space>
search::study_options search_options_of(const study_settings& s, const session_inputs& in,
                                        const search::peft_evaluator<Space>& evaluator) {
  auto options = study_options_of(s, in.task.train.size());
  options.infeasible = [&evaluator](const space::configuration& c) { return evaluator.infeasible(c); };
  options.cost = [&evaluator](const space::configuration& c) { return evaluator.cost(c); };
  options.initial_configurations = initial_configurations_of<Space>(s, in.backbone.config());
  options.initial_configurations_at_top_rung = s.initial_methods_at_top_rung;
  return options;
}

/// The steps after the search: baselines, re-training of the Pareto set, the front, the report.
/// Baselines and re-training run at the same (final) fidelity, so the verdicts compare like
/// with like.
template <class Space>
void finish_study(search::study_store& store, const search::study_record& study, const study_settings& s,
                  const session_inputs& in, const space::family_t<Space>& base, std::int64_t backbone_parameters,
                  double hypervolume, std::chrono::steady_clock::time_point t0) {
  const auto cost = search::cost_kind_from_string(s.cost);
  if (s.baselines) {
    search::hand_designed_evaluator baselines(in.backbone, in.task, trial_options(s, true));
    baselines.cost(cost);
    choose_objectives(baselines, s);
    baselines.set_progress(trial_bar());
    search::run_baselines(store, study, baselines, baseline_options_of(s), baseline_printer(store, study));
  }
  if (s.retrain_seeds > 0) {
    search::peft_evaluator<Space> full(in.backbone, in.task, trial_options(s, true), base);
    full.cost(cost);
    choose_objectives(full, s);
    full.set_progress(trial_bar());
    search::retrain_pareto<Space>(store, study, full, {.seeds = s.retrain_seeds}, study_printer(store, study));
  }
  print_front(store, study);
  const auto report = write_study_report(store, study, s, describe_backbone(in.backbone, backbone_parameters));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto ref = reference_point_of(s);
  std::string extras;
  for (std::size_t i = 2; i < study.objectives.size() && i < ref.size(); ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", %s %.4g", study.objectives[i].name.c_str(), ref[i]);
    extras += buf;
  }
  std::printf("hypervolume %.4f (reference: %s %.3g, %.3g%% parameters%s)\nreport: %s\ntotal %.0f s\n", hypervolume,
              study.objectives[0].name.c_str(), ref_metric_of(s), s.ref_params, extras.c_str(), report.string().c_str(), secs);
}

/// Runs (or continues) a study of `store` with settings `given`: `get_study(settings)` creates
/// or loads it once the backbone and the task have loaded (so bad settings leave no empty study
/// behind), with the settings as the study stores them (ref_metric resolved on the task).
template <class GetStudy>
void run_study_session(search::study_store& store, const study_settings& given, GetStudy&& get_study) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto in = load_session_inputs(given);
  const auto s = with_reference_resolved(given, in.task.info);
  with_space(s, in.backbone.config().num_hidden_layers, [&]<class Space>(const space::family_t<Space>& base) {
    // The evaluator reads the weights: a damaged model.safetensors must fail before the study
    // is created, or it would leave an empty study behind that blocks the next `search`.
    search::peft_evaluator<Space> evaluator(in.backbone, in.task, trial_options(s, false), base);
    evaluator.cost(search::cost_kind_from_string(s.cost));
    choose_objectives(evaluator, s);
    const search::study_record study = get_study(s);
    check_objectives(study, s);
    evaluator.set_progress(trial_bar());
    std::fprintf(stderr, "study \"%s\" in %s: task %s (%zu train / %zu dev), backbone %s\n", study.name.c_str(),
                 store.path().string().c_str(), in.task.info.name.c_str(), in.task.train.size(), in.task.dev.size(),
                 describe_backbone(in.backbone, evaluator.backbone_parameters()).c_str());
    std::string fidelity = std::to_string(s.train_samples) + " train examples x " + std::to_string(s.epochs) + " epoch(s)";
    if (!s.fidelities.empty()) fidelity = "rungs " + s.fidelities + " (train examples x epochs), promotion 1 in " + std::to_string(s.eta);
    const auto seeded = s.initial_methods.empty() ? std::string() : s.initial_methods + " first, then ";
    std::fprintf(stderr, "space %s, cost %s; budget %lld trials (%lld initial: %s%s design; then batches of %lld); trial: %s\n",
                 s.space.c_str(), s.cost.c_str(), static_cast<long long>(s.trials), static_cast<long long>(s.initial),
                 seeded.c_str(), s.design.c_str(), static_cast<long long>(s.batch), fidelity.c_str());
    const auto driver = study_driver_of<Space>(s.acquisition, search_options_of(s, in, evaluator));
    const auto summary = driver.run(store, study, evaluator, study_printer(store, study));
    std::fprintf(stderr, "search: %lld complete, %lld failed, %lld interrupted and re-run; hypervolume %.4f; %.0f s\n",
                 static_cast<long long>(summary.complete), static_cast<long long>(summary.failed),
                 static_cast<long long>(summary.interrupted), summary.hypervolume, summary.seconds);
    finish_study<Space>(store, study, s, in, base, evaluator.backbone_parameters(), summary.hypervolume, t0);
  });
}

inline void add_search_command(CLI::App& app) {
  struct args {
    study_settings s;
    std::string config;
  };
  auto a = std::make_shared<args>();
  auto* cmd = app.add_subcommand("search",
                                 "Run an AutoPEFT search: an initial design, then MOBO batches (GP with Matern-5/2 kernel, "
                                 "qNEHVI, local search), each trial a low-fidelity PEFT training on a frozen pretrained "
                                 "backbone; then baselines, re-training of the Pareto set, the front and the HTML report.");
  add_settings_options(*cmd, a->s, a->config);
  cmd->callback([a, cmd] {
    run_command("search", [&] {
      resolve_settings(*cmd, a->s, a->config);
      const auto& s = a->s;
      if (auto parent = std::filesystem::path(s.store).parent_path(); !parent.empty()) std::filesystem::create_directories(parent);
      auto store = search::study_store::open(s.store);
      if (store.find_study(s.study_name()))
        throw error("the store " + s.store + " already holds a study named \"" + s.study_name() +
                    "\": continue it with `autopeft resume --store " + s.store + " --study " + s.study_name() +
                    "`, or name a new one with --study");
      run_study_session(store, s, [&](const study_settings& resolved) {
        return store.create_study(resolved.study_name(), settings_to_json(resolved), study_objectives_of(resolved), resolved.seed);
      });
    });
  });
}

inline void add_resume_command(CLI::App& app) {
  struct args {
    std::string store = "autopeft-study.db", study, device, objectives;
    int threads = 0;
    std::int64_t trials = 0;
  };
  auto a = std::make_shared<args>();
  auto* cmd = app.add_subcommand("resume",
                                 "Continue a study after an interruption (a crash, a kill, a reboot) with the settings it "
                                 "was started with: trials left running are re-queued, finished ones are kept.");
  cmd->add_option("--store", a->store, "the study store")->capture_default_str();
  cmd->add_option("--study", a->study, "the study's name (default: the store's only search study)");
  cmd->add_option("--trials", a->trials, "raise the budget to this many trials")->check(CLI::PositiveNumber);
  cmd->add_option("--device", a->device, "override the device (cpu or cuda)")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", a->threads, "CPU threads for LibTorch")->check(CLI::PositiveNumber);
  cmd->add_option("--objectives", a->objectives,
                  "the extra objectives the study was created with (a check: a study keeps its objectives, and other "
                  "ones are refused)");
  cmd->callback([a, cmd] {
    run_command("resume", [&] {
      if (!std::filesystem::exists(a->store)) throw error(a->store + ": no such study store (check --store)");
      auto store = search::study_store::open(a->store);
      const auto study = pick_study(store, a->study);
      study_settings s;
      settings_from_stored(s, study.config, a->store + ", study \"" + study.name + "\"");
      s.store = a->store;
      if (a->trials > 0) s.trials = a->trials;
      if (!a->device.empty()) s.device = a->device;
      if (a->threads > 0) s.threads = a->threads;
      if (cmd->count("--objectives") > 0) s.objectives = a->objectives;
      check_objectives(study, s);  // before the backbone loads
      run_study_session(store, s, [&](const study_settings&) { return study; });
    });
  });
}

}  // namespace autopeft::cli
