#pragma once
// What the study commands share: the backbone and the task a study's settings name, the
// search space for the backbone's depth, the evaluators, and the printing of a running study.
#include "command_error.hpp"
#include "study_settings.hpp"

#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/glue_task.hpp>
#include <autopeft/data/load_glue.hpp>
#include <autopeft/search.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train/default_backbone.hpp>
#include <autopeft/train/pretrained_backbone.hpp>
#include <autopeft/train/progress_printer.hpp>

#include <torch/torch.h>

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

inline search::study_options study_options_of(const study_settings& s) {
  search::study_options o;
  o.initial_trials = s.initial;
  o.design = s.design == "random" ? search::initial_design_kind::random : search::initial_design_kind::sobol;
  o.batch_size = s.batch;
  o.max_trials = s.trials;
  o.time_budget_seconds = s.time_budget;
  o.reference_point = {s.ref_metric, s.ref_params};
  o.seed = s.seed;
  const std::pair<const char*, mobo::acquisition_kind> kinds[] = {
      {"qnehvi", mobo::acquisition_kind::qnehvi},     {"qlog_nehvi", mobo::acquisition_kind::qlog_nehvi},
      {"qnparego", mobo::acquisition_kind::qnparego}, {"ucb", mobo::acquisition_kind::ucb},
      {"thompson", mobo::acquisition_kind::thompson}, {"random", mobo::acquisition_kind::random}};
  bool found = false;
  for (const auto& [name, kind] : kinds)
    if (s.acquisition == name) o.acquisition = kind, found = true;
  if (!found)
    throw error("setting 'acquisition' must be one of qnehvi, qlog_nehvi, qnparego, ucb, thompson, random; not '" +
                s.acquisition + "'");
  return o;
}

/// Calls f.template operator()<Space>() with AutoPEFT's space for the backbone's depth.
template <class F>
decltype(auto) with_space(std::int64_t layers, F&& f) {
  switch (layers) {
    case 2: return f.template operator()<space::autopeft_space<2>>();
    case 4: return f.template operator()<space::autopeft_space<4>>();
    case 6: return f.template operator()<space::autopeft_space<6>>();
    case 12: return f.template operator()<space::autopeft_space<12>>();
    case 24: return f.template operator()<space::autopeft_space<24>>();
    default:
      throw error("the backbone has " + std::to_string(layers) +
                  " layers; the autopeft program searches backbones of 2, 4, 6, 12 or 24 layers (from C++, "
                  "space::autopeft_space<L> takes any L)");
  }
}

/// A configuration in one line, as the report shows it: "sa=3 pa=0 pt=12 layers=110111".
inline std::string brief(const nlohmann::json& params) { return search::brief_params(params); }

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
        const auto t = e.origin == "retrain" ? store_->trial(store_->load_study(search::final_study_name(study_)), e.trial)
                                             : store_->trial(study_, e.trial);
        std::string what;
        char buf[160];
        if (e.state == search::trial_state::complete) {
          std::snprintf(buf, sizeof buf, "%s %.4f  params %.3f%%", study_.objectives[0].name.c_str(), e.objectives[0],
                        e.objectives[1]);
          what = buf;
        } else if (e.state == search::trial_state::pruned) {
          what = "skipped: " + e.error;
        } else {
          what = "FAILED: " + e.error;
        }
        std::snprintf(buf, sizeof buf, "[%s %lld/%lld] trial %lld ", e.origin == "retrain" ? "retrain" : "trial",
                      static_cast<long long>(e.finished), static_cast<long long>(e.budget), static_cast<long long>(e.trial));
        std::string line = buf + brief(t.params) + "  ->  " + what;
        if (e.origin == "retrain") line += "  (re-training trial " + std::to_string(t.params.value("_source", -1)) + ")";
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

/// The hand-designed configurations the report marks, as points of AutoPEFT's space with every
/// layer on: Pfeiffer's serial adapter, He et al.'s parallel adapter, Li & Liang's prefix.
template <class Space>
std::vector<std::pair<std::string, nlohmann::json>> baseline_configurations() {
  std::vector<bool> all_on(Space::num_components - 3, true);
  return {{"Pfeiffer adapter (SA 48)", {{"sa", 48}, {"pa", 0}, {"pt", 0}, {"layers", all_on}}},
          {"parallel adapter (PA 48)", {{"sa", 0}, {"pa", 48}, {"pt", 0}, {"layers", all_on}}},
          {"prefix tuning (PT 24)", {{"sa", 0}, {"pa", 0}, {"pt", 24}, {"layers", all_on}}}};
}

/// Evaluates the baselines not yet recorded in "<study>:baselines".
template <class Space, class Evaluator>
void run_baselines(search::study_store& store, const search::study_record& study, Evaluator& evaluator) {
  std::optional<search::study_record> b;
  for (auto& s : store.list_studies())
    if (s.name == search::baselines_study_name(study)) b = s;
  if (!b) {
    b = store.create_study(search::baselines_study_name(study), {{"source_study", study.name}, {"kind", "baselines"}},
                           study.objectives, study.seed);
    for (auto& [name, params] : baseline_configurations<Space>()) {
      auto p = params;
      p["_name"] = name;
      store.enqueue(*b, p, study.seed + 1);
    }
  }
  store.requeue_running(*b);
  while (auto t = store.claim(*b)) {
    auto e = search::run_trial<Space>(store, *b, *t, evaluator);
    if (e.state == search::trial_state::complete)
      std::fprintf(stderr, "[baseline] %-26s  %s %.4f  params %.3f%%\n", t->params.value("_name", "").c_str(),
                   study.objectives[0].name.c_str(), e.objectives[0], e.objectives[1]);
    else
      std::fprintf(stderr, "[baseline] %-26s  FAILED: %s\n", t->params.value("_name", "").c_str(), e.error.c_str());
  }
}

/// Prints the Pareto front (with re-training results when there are some) on stdout.
inline void print_front(const search::study_store& store, const search::study_record& study) {
  const auto front = search::pareto_trials(study, store.trials(study));
  const auto retrained = search::retrained_results(store, study);
  const auto metric = study.objectives[0].name;
  std::printf("Pareto front of study \"%s\" (%zu configurations; %s up, %% trainable parameters down):\n", study.name.c_str(),
              front.size(), metric.c_str());
  std::printf("  %5s  %10s  %9s  %-22s  %s\n", "trial", "% params", metric.c_str(), "re-trained (mean +- sd)", "configuration");
  for (const auto& t : front) {
    std::string rt = "-";
    if (auto it = retrained.find(t.number); it != retrained.end() && it->second.runs > 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4f +- %.4f (%lld)", it->second.mean[0], it->second.std[0],
                    static_cast<long long>(it->second.runs));
      rt = buf;
    }
    std::printf("  %5lld  %9.4f%%  %9.4f  %-22s  %s\n", static_cast<long long>(t.number), (*t.objectives)[1],
                (*t.objectives)[0], rt.c_str(), brief(t.params).c_str());
  }
  std::fflush(stdout);
}

/// The study's report, written next to the store unless the settings say where.
inline std::filesystem::path write_study_report(const search::study_store& store, const search::study_record& study,
                                                const study_settings& s, const std::string& backbone) {
  search::study_report_options ro;
  ro.reference = search::report_data::reference_point{.metric = s.ref_metric, .pct_params = s.ref_params};
  ro.task_name = s.task;
  ro.backbone = backbone;
  ro.settings = settings_to_json(s);
  const auto path = s.report_path();
  search::write_report(search::study_report_data(store, study, ro), path);
  return path;
}

/// The study `name` of `store`, or, when `name` is empty, its only search study (companion
/// studies, "<name>:final" and "<name>:baselines", do not count).
inline search::study_record pick_study(const search::study_store& store, const std::string& name) {
  if (!name.empty()) return store.load_study(name);
  std::vector<search::study_record> searches;
  for (auto& st : store.list_studies())
    if (st.name.find(':') == std::string::npos) searches.push_back(st);
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
