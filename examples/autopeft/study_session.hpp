#pragma once
// What the study commands share: the backbone and the task a study's settings name, the
// search space for the backbone's depth, the evaluators, and the printing of a running study.
#include "command_error.hpp"
#include "study_settings.hpp"
#include "user_data.hpp"

#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/load_glue.hpp>
#include <autopeft/search.hpp>
#include <autopeft/search/study/hand_designed_evaluator.hpp>
#include <autopeft/search/study/hand_designed_in_space.hpp>
#include <autopeft/search/study/run_baselines.hpp>
#include <autopeft/space/spaces/autopeft_lora_space.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train/default_backbone.hpp>
#include <autopeft/train/pretrained_backbone.hpp>
#include <autopeft/train/progress_printer.hpp>

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace autopeft::cli {

inline torch::Device device_of(const study_settings& s) {
  if (s.device.starts_with("cuda")) {
    if (!torch::cuda::is_available())
      throw error("--device " + s.device + ": no CUDA device is available to this LibTorch (a CPU-only build, or no GPU visible); use --device cpu");
    return torch::Device(s.device);
  }
  return torch::Device(torch::kCPU);
}

/// The backbone folder the settings name, building the default one into the cache if needed.
inline std::filesystem::path backbone_dir(const study_settings& s) {
  if (!s.backbone.empty()) {
    if (!std::filesystem::is_directory(s.backbone))
      throw error("--backbone " + s.backbone + " is not a folder: give a folder written by `autopeft pretrain --out`");
    return s.backbone;
  }
  train::progress_printer bar("pretrain");
  train::default_backbone_options o;
  o.progress = bar;
  o.log = [bar](const std::string& line) {
    bar.finish_bar();
    std::cerr << line << "\n";
  };
  return train::default_backbone(o);
}

inline data::task load_task(const study_settings& s) {
  if (!s.train_file.empty()) return load_user_task(s);
  if (!s.data_dir.empty()) return data::load_glue(data::glue_task_from_string(s.task), s.data_dir);
  std::cerr << "building the embedded benchmark from /usr/share/wordnet and /usr/share/games/fortunes\n";
  auto bench = data::embedded_benchmark::build();
  return bench.at(s.task);
}

/// The trainer options of a search trial (low fidelity) or of the final re-training.
inline train::trainer_options trial_options(const study_settings& s, bool final_training) {
  train::trainer_options o;
  o.learning_rate = s.lr;
  o.warmup_ratio = 0.1;
  o.train_batch_size = s.batch_size;
  o.max_seq_length = static_cast<std::size_t>(s.max_seq_length);
  o.max_eval_samples = static_cast<std::size_t>(s.eval_samples);
  o.device = device_of(s);
  o.bf16 = o.device.is_cuda();
  if (final_training) {
    o.num_train_epochs = s.final_epochs;
    o.max_train_samples = static_cast<std::size_t>(s.final_train_samples);
  } else {
    o.num_train_epochs = s.epochs;
    o.max_steps = s.max_steps > 0 ? s.max_steps : -1;
    o.max_train_samples = static_cast<std::size_t>(s.train_samples);
  }
  return o;
}

/// The fidelity rungs of the settings: resources {"train_samples", "epochs"} and a cost of
/// (examples seen) / (examples the top rung sees), examples capped by the task's `train_size`.
inline std::vector<search::trial_fidelity> fidelities_of(const study_settings& s, std::size_t train_size) {
  std::vector<search::trial_fidelity> out;
  const auto rungs = parse_fidelities(s.fidelities);
  auto seen = [&](const fidelity_rung& r) {
    const auto n = r.train_samples == 0 ? train_size : std::min<std::size_t>(train_size, static_cast<std::size_t>(r.train_samples));
    return static_cast<double>(std::max<std::size_t>(n, 1)) * static_cast<double>(r.epochs);
  };
  for (std::size_t i = 0; i < rungs.size(); ++i)
    out.push_back({.level = static_cast<std::int64_t>(i),
                   .resources = {{"train_samples", rungs[i].train_samples}, {"epochs", rungs[i].epochs}},
                   .cost = seen(rungs[i]) / seen(rungs.back())});
  return out;
}

/// The objective of the task's metric: accuracy on the embedded tasks, the GLUE task's own, the
/// setting `metric` on the user's files.
inline search::study_objective metric_objective(const study_settings& s) {
  if (!s.train_file.empty()) return {.name = s.metric};
  if (!s.data_dir.empty()) return {.name = data::to_string(data::glue_info(data::glue_task_from_string(s.task)).metric)};
  return {.name = "accuracy"};  // every embedded task is scored by accuracy
}

/// The objectives of a study with settings `s`: the metric, params_pct, then the setting
/// `objectives`' extra ones in its order.
inline std::vector<search::study_objective> study_objectives_of(const study_settings& s) {
  std::vector<search::study_objective> out{metric_objective(s), {.name = "params_pct", .minimize = true}};
  for (const auto e : parse_extra_objectives(s.objectives)) out.push_back(search::objective_of(e));
  return out;
}

/// What guessing scores on a task: a uniform guess's accuracy, 1/k over k classes; 0 for F1
/// (its floor), Matthews, Pearson and Spearman (no correlation). The default reference metric:
/// a configuration adds hypervolume only when it beats guessing.
inline double chance_metric(const data::task_info& t) {
  if (t.metric == data::metric_kind::accuracy && t.num_labels() > 1) return 1.0 / static_cast<double>(t.num_labels());
  return 0.0;
}

/// The settings with ref_metric "chance" replaced by the task's chance_metric, as a study stores
/// them, so that resume, status and report use the same number.
inline study_settings with_reference_resolved(study_settings s, const data::task_info& t) {
  if (!detail::finite_number(s.ref_metric)) s.ref_metric = nlohmann::json(chance_metric(t)).dump();
  return s;
}

/// The reference metric of resolved settings (with_reference_resolved).
inline double ref_metric_of(const study_settings& s) {
  if (const auto v = detail::finite_number(s.ref_metric)) return *v;
  throw error("ref_metric '" + s.ref_metric + "' is not a number: the reference metric is fixed when the task has loaded");
}

/// The hypervolume reference point of resolved settings, one value per objective of
/// study_objectives_of(s): ref_metric, ref_params, then ref_<name> of each extra objective.
inline std::vector<double> reference_point_of(const study_settings& s) {
  std::vector<double> out{ref_metric_of(s), s.ref_params};
  for (const auto e : parse_extra_objectives(s.objectives)) switch (e) {
      case search::extra_objective::step_ms: out.push_back(s.ref_step_ms); break;
      case search::extra_objective::peak_memory_mb: out.push_back(s.ref_peak_memory_mb); break;
    }
  return out;
}

/// Refuses to run `study` with settings whose objectives are not the ones it was created with:
/// its trials, Pareto set and hypervolume are in those.
inline void check_objectives(const search::study_record& study, const study_settings& s) {
  auto names = [](const std::vector<search::study_objective>& os) {
    std::string out;
    for (const auto& o : os) out += (out.empty() ? "" : ", ") + o.name;
    return out;
  };
  const auto wanted = study_objectives_of(s);
  bool same = wanted.size() == study.objectives.size();
  for (std::size_t i = 1; same && i < wanted.size(); ++i) same = wanted[i] == study.objectives[i];
  if (same) return;
  std::string extras;
  for (std::size_t i = 2; i < study.objectives.size(); ++i) extras += (extras.empty() ? "" : ",") + study.objectives[i].name;
  throw error("study \"" + study.name + "\" was created with the objectives (" + names(study.objectives) +
              ") but the settings ask for (" + names(wanted) + "): a study keeps its objectives; resume it " +
              (extras.empty() ? std::string("without --objectives") : "with --objectives " + extras + " or without the flag") +
              ", or start a new study with `autopeft search --study NAME`");
}

/// The settings' extra objectives chosen on `evaluator` (a peft_evaluator or a
/// hand_designed_evaluator), so that its trials return the study's objectives.
template <class Evaluator>
void choose_objectives(Evaluator& evaluator, const study_settings& s) {
  evaluator.extra_objectives(parse_extra_objectives(s.objectives));
}

inline search::study_options study_options_of(const study_settings& s, std::size_t train_size) {
  search::study_options o;
  o.initial_trials = s.initial;
  o.design = s.design == "random"  ? search::initial_design_kind::random
             : s.design == "sobol" ? search::initial_design_kind::sobol
                                   : search::initial_design_kind::cost_stratified;
  o.fidelities = fidelities_of(s, train_size);
  o.eta = s.eta;
  o.batch_size = s.batch;
  o.max_trials = s.trials;
  o.time_budget_seconds = s.time_budget;
  o.reference_point = reference_point_of(s);
  o.seed = s.seed;
  return o;
}

/// Calls f.template operator()<Space>(base_plan) with the settings' space ("default":
/// space::autopeft_lora_space, "autopeft": space::autopeft_space) for the backbone's depth.
template <class F>
decltype(auto) with_space(const study_settings& s, std::int64_t layers, F&& f) {
  auto at = [&]<std::size_t L>() -> decltype(auto) {
    if (s.space == "autopeft") return f.template operator()<space::autopeft_space<L>>(space::autopeft_base_plan<L>());
    return f.template operator()<space::autopeft_lora_space<L>>(space::autopeft_lora_base_plan<L>());
  };
  switch (layers) {
    case 2: return at.template operator()<2>();
    case 4: return at.template operator()<4>();
    case 6: return at.template operator()<6>();
    case 12: return at.template operator()<12>();
    case 24: return at.template operator()<24>();
    default:
      throw error("the backbone has " + std::to_string(layers) +
                  " layers; the autopeft program searches backbones of 2, 4, 6, 12 or 24 layers (from C++, "
                  "space::autopeft_lora_space<L> and space::autopeft_space<L> take any L)");
  }
}

/// The configurations of Space nearest the settings' initial_methods (search::
/// hand_designed_in_space), at the space's rate nearest the geometric middle of lr_grid; a
/// method the space cannot express is left out with a note on stderr.
template <class Space>
std::vector<space::configuration> initial_configurations_of(const study_settings& s, const model::EncoderConfig& c) {
  const auto grid = parse_numbers(s.lr_grid, "lr_grid");
  double log_sum = 0;
  for (double v : grid) log_sum += std::log(v);
  const double lr = std::exp(log_sum / static_cast<double>(grid.size()));
  std::vector<space::configuration> out;
  for (const auto& name : parse_names(s.initial_methods)) {
    if (auto x = search::hand_designed_in_space<Space>(name, c, lr)) out.push_back(*x);
    else std::fprintf(stderr, "initial design: the %s space cannot express %s; left out\n", s.space.c_str(), name.c_str());
  }
  return out;
}

/// A configuration in one line, as the report shows it: "sa=3 pa=0 pt=12 layers=110111".
inline std::string brief(const nlohmann::json& params) { return search::brief_params(params); }

/// A complete trial's objectives in one line: "accuracy 0.8125  params 0.123%  step_ms 41.2".
inline std::string objectives_text(const search::study_record& study, const std::vector<double>& y) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %.4f  params %.3f%%", study.objectives[0].name.c_str(), y.at(0), y.at(1));
  std::string out = buf;
  for (std::size_t i = 2; i < y.size() && i < study.objectives.size(); ++i) {
    std::snprintf(buf, sizeof buf, "  %s %.4g", study.objectives[i].name.c_str(), y[i]);
    out += buf;
  }
  return out;
}

/// Prints a running study: one line per finished trial with the objectives, the hypervolume and
/// the ETA over the budget; a progress bar within each trial (on a terminal).
class study_printer {
 public:
  study_printer(const search::study_store& store, const search::study_record& study) : store_(&store), study_(study) {}

  void operator()(const search::study_event& e) const {
    using kind = search::study_event::kind;
    switch (e.what) {
      case kind::resumed:
        if (!e.error.empty())
          std::fprintf(stderr, "%s: trial %lld re-queued\n", e.error.c_str(), static_cast<long long>(e.trial));
        else
          std::fprintf(stderr, "resuming: %lld trial(s) left running by an interrupted run re-queued\n",
                       static_cast<long long>(e.requeued));
        break;
      case kind::proposing:
        std::fprintf(stderr, "[study] proposing a batch (GP fit + qNEHVI + local search)...\n");
        break;
      case kind::proposed:
      case kind::trial_started:
        break;
      case kind::trial_finished: {
        const auto t = e.origin == "retrain" ? store_->trial(store_->find_companion(study_, "final").value(), e.trial)
                                             : store_->trial(study_, e.trial);
        std::string what;
        char buf[160];
        if (e.state == search::trial_state::complete) {
          what = objectives_text(study_, e.objectives);
        } else if (e.state == search::trial_state::pruned) {
          what = "skipped: " + e.error;
        } else {
          what = "FAILED: " + e.error;
        }
        std::snprintf(buf, sizeof buf, "[%s %lld/%lld] trial %lld ", e.origin == "retrain" ? "retrain" : "trial",
                      static_cast<long long>(e.finished), static_cast<long long>(e.budget), static_cast<long long>(e.trial));
        std::string line = buf + brief(t.params) + "  ->  " + what;
        if (e.origin == "retrain") line += "  (re-training trial " + std::to_string(t.provenance.source.value_or(-1)) + ")";
        if (e.origin != "retrain") {
          std::snprintf(buf, sizeof buf, "  (%.1fs)  HV %.4f  ETA %s", e.trial_seconds, e.hypervolume,
                        train::progress_printer::duration(e.eta_seconds).c_str());
          line += buf;
        }
        std::fprintf(stderr, "%s\n", line.c_str());
        break;
      }
    }
    std::fflush(stderr);
  }

 private:
  const search::study_store* store_;
  search::study_record study_;
};

/// A trainer progress callback for one trial: a bar on a terminal, nothing in a log file (the
/// study prints a line per trial there).
inline train::progress_callback trial_bar() {
  if (::isatty(::fileno(stderr)) != 1) return {};
  train::progress_printer bar("trial");
  return [bar](const train::progress& p) {
    if (p.phase == "train") bar(p);
    if (p.step >= p.total_steps) bar.finish_bar();
  };
}

/// The settings' baselines: methods, learning-rate grid and seeds (those of the re-training).
inline search::baseline_options baseline_options_of(const study_settings& s) {
  search::baseline_options o;
  o.methods = parse_names(s.baseline_methods);
  o.lr_grid = parse_numbers(s.lr_grid, "lr_grid");
  o.seeds = std::max<std::int64_t>(1, s.retrain_seeds);
  return o;
}

/// Prints a baseline's runs as they finish.
inline search::study_callback baseline_printer(const search::study_store& store, const search::study_record& study) {
  return [&store, study](const search::study_event& e) {
    if (e.what != search::study_event::kind::trial_finished) return;
    const auto t = store.trial(store.find_companion(study, "baselines").value(), e.trial);
    std::string what;
    char buf[160];
    if (e.state == search::trial_state::complete)
      what = objectives_text(study, e.objectives);
    else
      what = "FAILED: " + e.error;
    std::snprintf(buf, sizeof buf, "[baseline] %-18s %-5s lr %-7g seed %lld  ", t.provenance.label.c_str(),
                  t.provenance.origin.c_str(), t.params.value("lr", 0.0), static_cast<long long>(t.provenance.seed_index.value_or(0)));
    std::fprintf(stderr, "%s%s\n", buf, what.c_str());
    std::fflush(stderr);
  };
}

/// Prints the Pareto front (with re-training results when there are some) on stdout, then one
/// verdict per baseline (search::baseline_verdicts, the report's sentences).
inline void print_front(const search::study_store& store, const search::study_record& study,
                        const search::study_report_options& ro = {}) {
  const auto front = search::pareto_trials(study, store.trials(study));
  const auto retrained = search::retrained_results(store, study);
  const auto metric = study.objectives[0].name;
  std::string downs = "% parameters";
  for (std::size_t i = 2; i < study.objectives.size(); ++i) downs += ", " + study.objectives[i].name;
  std::printf("Pareto front of study \"%s\" (%zu configurations; %s up, %s down; each at the highest rung it reached):\n",
              study.name.c_str(), front.size(), metric.c_str(), downs.c_str());
  std::string extra_heads;
  for (std::size_t i = 2; i < study.objectives.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %14s", study.objectives[i].name.c_str());
    extra_heads += buf;
  }
  std::printf("  %5s  %4s  %10s  %9s%s  %-22s  %s\n", "trial", "rung", "% params", metric.c_str(), extra_heads.c_str(),
              "re-trained (mean +- sd)", "configuration");
  for (const auto& t : front) {
    std::string rt = "-";
    if (auto it = retrained.find(t.number); it != retrained.end() && it->second.runs > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4f +- %.4f (%lld)", it->second.mean[0], it->second.std[0],
                    static_cast<long long>(it->second.runs));
      rt = buf;
    }
    const std::string rung = t.fidelity ? std::to_string(t.fidelity->level) : "-";
    std::string extras;
    for (std::size_t i = 2; i < t.objectives->size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %14.4g", (*t.objectives)[i]);
      extras += buf;
    }
    std::printf("  %5lld  %4s  %9.4f%%  %9.4f%s  %-22s  %s\n", static_cast<long long>(t.number), rung.c_str(), (*t.objectives)[1],
                (*t.objectives)[0], extras.c_str(), rt.c_str(), brief(t.params).c_str());
  }
  if (const auto c = search::retrain_correlation(store, study); c.n >= 3)
    std::printf("Spearman correlation of the search's %s with the re-trained one, over %lld Pareto configurations: %.3f\n",
                metric.c_str(), static_cast<long long>(c.n), c.rho);
  const auto data = search::study_report_data(store, study, ro);
  if (!data.baselines.empty()) {
    std::printf("Baselines (at the re-training fidelity; %s mean over their final seeds):\n", metric.c_str());
    const auto verdicts = search::baseline_verdicts(data);
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
      const auto& b = data.baselines[i];
      char buf[160];
      std::snprintf(buf, sizeof buf, "  %-18s %.4f at %.4f%% (lr %g): ", b.name.c_str(), b.metric, b.pct_params, b.lr.value_or(0.0));
      std::printf("%s%s\n", buf, verdicts[i].sentence.c_str());
    }
  }
  std::fflush(stdout);
}

/// The study's report, written next to the store unless the settings say where.
inline std::filesystem::path write_study_report(const search::study_store& store, const search::study_record& study,
                                                const study_settings& s, const std::string& backbone) {
  search::study_report_options ro;
  ro.reference = search::report_data::reference_point{.metric = ref_metric_of(s), .pct_params = s.ref_params};
  ro.task_name = s.task;
  ro.backbone = backbone;
  ro.settings = settings_to_json(s);
  const auto path = s.report_path();
  search::write_report(search::study_report_data(store, study, ro), path);
  return path;
}

/// The study `name` of `store`, or, when `name` is empty, its only search study (companion
/// studies, a study's re-training and baselines, do not count).
inline search::study_record pick_study(const search::study_store& store, const std::string& name) {
  if (!name.empty()) return store.load_study(name);
  std::vector<search::study_record> searches;
  for (auto& st : store.list_studies())
    if (!st.parent_id) searches.push_back(st);
  if (searches.size() == 1) return searches.front();
  std::string known;
  for (const auto& st : searches) known += (known.empty() ? "" : ", ") + st.name;
  throw error(store.path().string() + (searches.empty() ? " holds no study yet: start one with `autopeft search`"
                                                          : " holds several studies (" + known + "): name one with --study"));
}

inline std::string describe_backbone(const train::pretrained_backbone& b, std::int64_t backbone_parameters) {
  const auto& c = b.config();
  return b.dir().filename().string() + ": " + std::to_string(c.num_hidden_layers) + " layers, hidden " +
         std::to_string(c.hidden_size) + ", " + std::to_string(backbone_parameters) + " parameters";
}

}  // namespace autopeft::cli
