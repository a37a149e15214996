#pragma once
// The settings of a study as the command line, a JSON config file and the study store see
// them. Each field is declared once (field_of()) and gets a flag --name, a JSON key "name" and a
// default; a flag given on the command line wins over the config file, which wins over the
// default. The resolved settings are stored with the study, so `autopeft resume` needs only the
// store and the study's name.
#include <autopeft/detail/json_value.hpp>
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>
#include <autopeft/peft/hand_designed_names.hpp>
#include <autopeft/search/extra_objective.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace autopeft::cli {

struct study_settings {
  // What to search on.
  std::string task = "wn_pos";
  std::string space = "default";  // "default" (SA/PA/PT + LoRA + lr) or "autopeft" (the paper's)
  std::string cost = "stored";     // the cost objective: "stored" or "trainable" parameters
  // Objectives minimised beside the metric and params_pct, in order (search::extra_objective
  // names: step_ms, peak_memory_mb); empty: the two AutoPEFT objectives only.
  std::string objectives;
  std::string data_dir;  // empty: the embedded benchmark; else a GLUE task directory
  std::string backbone;  // empty: the cached default backbone (built on first use)
  // Where the study lives.
  std::string store = "autopeft-study.db";
  std::string study;  // empty: the task's name
  std::string report;  // empty: <store's folder>/<study>-report.html
  // The search budget and the MOBO step.
  std::int64_t trials = 30;
  std::int64_t initial = 10;
  std::int64_t batch = 4;
  double time_budget = 0;
  std::string design = "stratified";
  // Hand-designed methods whose nearest configurations open the initial design.
  std::string initial_methods = "lora8,ia3,pfeiffer,parallel";
  bool initial_methods_at_top_rung = false;  // multi-fidelity: run them at the top rung
  std::string acquisition = "qnehvi";
  double ref_metric = 0.0;
  double ref_params = 26.0;
  // Reference values of the extra objectives: no worse trial adds hypervolume. 1 s per step and
  // 16 GiB lie above what the default backbone's trials take on a CPU or a GPU.
  double ref_step_ms = 1000.0;
  double ref_peak_memory_mb = 16384.0;
  std::uint64_t seed = 0;
  // The low-fidelity trial.
  std::int64_t train_samples = 2000;
  std::int64_t eval_samples = 0;
  std::int64_t epochs = 2;
  std::int64_t max_steps = 0;
  double lr = 2e-3;  // the paper's space; the default space searches the rate
  std::int64_t batch_size = 32;
  std::int64_t max_seq_length = 64;
  // Multi-fidelity: rungs "SAMPLESxEPOCHS,..." cheapest first (empty: every trial at
  // train_samples x epochs), and the promotion rate.
  std::string fidelities;
  std::int64_t eta = 3;
  // After the search.
  bool baselines = true;
  std::string baseline_methods = "lora8,ia3,pfeiffer,parallel";
  std::string lr_grid = "1e-3,3e-3,1e-2";
  std::int64_t retrain_seeds = 3;
  std::int64_t final_train_samples = 0;
  std::int64_t final_epochs = 3;
  // Where to run.
  std::string device = "cpu";
  int threads = 0;

  [[nodiscard]] std::string study_name() const { return study.empty() ? task : study; }
  [[nodiscard]] std::filesystem::path report_path() const {
    if (!report.empty()) return report;
    auto dir = std::filesystem::path(store).parent_path();
    return dir / (study_name() + "-report.html");
  }
};

/// One field: its flag, JSON key and help; how to read and write it.
struct settings_field {
  std::string name;
  std::function<CLI::Option*(CLI::App&)> add;
  std::function<void(const nlohmann::json&)> read;
  std::function<void(nlohmann::json&)> write;
};

namespace detail {
template <class T>
settings_field field_of(const std::string& name, T& member, const std::string& help) {
  return {name,
          [&member, name, help](CLI::App& app) {
            auto dashed = name;
            for (auto& c : dashed)
              if (c == '_') c = '-';
            const auto flags = dashed == name ? "--" + name : "--" + dashed + ",--" + name;
            return app.add_option(flags, member, help)->capture_default_str();
          },
          [&member](const nlohmann::json& j) { member = autopeft::detail::json_value<T>(j); },
          [&member, name](nlohmann::json& j) { j[name] = member; }};
}
}  // namespace detail

/// The fields of `s`, bound to it by reference.
inline std::vector<settings_field> settings_fields(study_settings& s) {
  using detail::field_of;
  return {
      field_of("task", s.task, "embedded task (wn_supersense, wn_hypernym, wn_paraphrase, wn_pos, fortune_category) or, with --data-dir, a GLUE task (rte, sst2, ...)"),
      field_of("space", s.space, "search space: default (AutoPEFT's SA/PA/PT plus LoRA on query/value, (IA)3 and the learning rate) or autopeft (the paper's SA/PA/PT space, for reproduction)"),
      field_of("cost", s.cost, "cost objective: stored (parameters the adapted model stores: the prefix without its MLP, as the AutoPEFT reference) or trainable (parameters trained)"),
      field_of("objectives", s.objectives, "objectives minimised beside the metric and params_pct, comma-separated, in order: step_ms (mean ms per optimiser step), peak_memory_mb (peak MiB of the trial: CUDA allocator's peak, or the process's peak resident set on the CPU); empty: none. A study keeps the objectives it was created with"),
      field_of("data_dir", s.data_dir, "a GLUE task folder (train.tsv, dev.tsv) instead of the embedded benchmark"),
      field_of("backbone", s.backbone, "pretrained backbone folder (default: the cached default backbone, built on first use)"),
      field_of("store", s.store, "the study store (SQLite file)"),
      field_of("study", s.study, "the study's name in the store (default: the task's name)"),
      field_of("report", s.report, "where to write the HTML report (default: next to the store)"),
      field_of("trials", s.trials, "budget: trials to finish"),
      field_of("initial", s.initial, "initial design size (N_init)"),
      field_of("batch", s.batch, "configurations per MOBO proposal (q)"),
      field_of("time_budget", s.time_budget, "budget: stop starting trials after this many seconds (0: none)"),
      field_of("design", s.design, "initial design: stratified (Sobol points spread over the log-cost range), sobol or random"),
      field_of("initial_methods", s.initial_methods, "hand-designed methods (as in baseline_methods) whose nearest configurations in the space open the initial design, at the rate of the space nearest the middle of lr_grid; empty: none"),
      field_of("initial_methods_at_top_rung", s.initial_methods_at_top_rung, "multi-fidelity: run the initial_methods' configurations at the top rung, not rung 0 (a cheap rung can be blind to them on a task that learns late)"),
      field_of("acquisition", s.acquisition, "qnehvi, qlog_nehvi, qnparego, ucb, thompson or random"),
      field_of("ref_metric", s.ref_metric, "hypervolume reference point: metric"),
      field_of("ref_params", s.ref_params, "hypervolume reference point: % trainable parameters"),
      field_of("ref_step_ms", s.ref_step_ms, "hypervolume reference point: step_ms, when an objective"),
      field_of("ref_peak_memory_mb", s.ref_peak_memory_mb, "hypervolume reference point: peak_memory_mb, when an objective"),
      field_of("seed", s.seed, "seed of the study"),
      field_of("train_samples", s.train_samples, "trial: training examples (a seeded subset; 0: all)"),
      field_of("eval_samples", s.eval_samples, "trial: dev examples (0: all)"),
      field_of("epochs", s.epochs, "trial: epochs"),
      field_of("max_steps", s.max_steps, "trial: optimizer steps, overriding epochs (0: use epochs)"),
      field_of("lr", s.lr, "trial: peak learning rate (AdamW, 10% warm-up, linear decay) in the autopeft space; the default space searches it"),
      field_of("batch_size", s.batch_size, "trial: examples per step"),
      field_of("max_seq_length", s.max_seq_length, "trial: tokens per example, [CLS] and [SEP] included"),
      field_of("fidelities", s.fidelities, "multi-fidelity rungs, cheapest first, as SAMPLESxEPOCHS,... (e.g. 500x1,1500x1,3000x2); empty: every trial at train_samples x epochs"),
      field_of("eta", s.eta, "multi-fidelity: of every eta configurations complete at a rung, the best goes up"),
      field_of("baselines", s.baselines, "also train the hand-designed baselines at the re-training fidelity, for the verdicts and the report"),
      field_of("baseline_methods", s.baseline_methods, "hand-designed baselines, comma-separated (lora8, lora16, pfeiffer, parallel, prefix, mam, unipelt, ia3, bitfit)"),
      field_of("lr_grid", s.lr_grid, "learning rates each baseline is tried at (one seed each, on dev); the best is then re-trained with retrain_seeds seeds"),
      field_of("retrain_seeds", s.retrain_seeds, "after the search, train every Pareto configuration with this many seeds (0: skip)"),
      field_of("final_train_samples", s.final_train_samples, "re-training: training examples (0: all)"),
      field_of("final_epochs", s.final_epochs, "re-training: epochs"),
      field_of("device", s.device, "cpu, cuda or cuda:N"),
      field_of("threads", s.threads, "CPU threads for LibTorch (0: all cores)"),
  };
}

/// Adds every field as a flag of `cmd`, plus --config FILE.
inline void add_settings_options(CLI::App& cmd, study_settings& s, std::string& config_file) {
  cmd.add_option("--config", config_file,
                 "JSON file with any of these settings as keys (e.g. {\"task\": \"wn_pos\", \"trials\": 40}); flags win")
      ->type_name("FILE");
  for (auto& f : settings_fields(s)) f.add(cmd);
}

inline nlohmann::json settings_to_json(study_settings s) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& f : settings_fields(s)) f.write(j);
  return j;
}

/// Reads `j` into `s`: every key must be a known field of the right type. `where` names the
/// source (a file, or the store's study) in errors. Fields in `given` (set on the command line)
/// are left alone.
inline void settings_from_json(study_settings& s, const nlohmann::json& j, const std::string& where,
                               const std::set<std::string>& given = {}) {
  if (!j.is_object()) throw error(where + ": expected a JSON object of settings, got " + std::string(j.type_name()));
  auto fields = settings_fields(s);
  for (const auto& [k, v] : j.items()) {
    const settings_field* f = nullptr;
    for (const auto& x : fields)
      if (x.name == k) f = &x;
    if (f == nullptr) {
      std::string known;
      for (const auto& x : fields) known += (known.empty() ? "" : ", ") + x.name;
      throw error(where + ": unknown setting '" + k + "'; known settings: " + known);
    }
    if (given.contains(k)) continue;
    try {
      f->read(v);
    } catch (const nlohmann::json::exception& e) {
      throw error(where + ": setting '" + k + "' has the wrong type (" + std::string(v.type_name()) + "): " + e.what());
    }
  }
}

/// Reads the settings a study was stored with. A study started before the default space, the
/// stored cost and the stratified design existed keeps what it ran with (the paper's space,
/// trainable parameters, Sobol points); one started before extra objectives has none (the
/// default, so a missing "objectives" key needs nothing here).
inline void settings_from_stored(study_settings& s, const nlohmann::json& j, const std::string& where,
                                 const std::set<std::string>& given = {}) {
  if (j.is_object()) {
    if (!j.contains("space") && !given.contains("space")) s.space = "autopeft";
    if (!j.contains("cost") && !given.contains("cost")) s.cost = "trainable";
    if (!j.contains("design") && !given.contains("design")) s.design = "sobol";
    if (!j.contains("initial_methods") && !given.contains("initial_methods")) s.initial_methods.clear();
  }
  settings_from_json(s, j, where, given);
}

/// The names of the fields given as flags on `cmd`'s command line.
inline std::set<std::string> given_flags(const CLI::App& cmd, study_settings& s) {
  std::set<std::string> out;
  for (auto& f : settings_fields(s))
    if (cmd.count("--" + f.name) > 0) out.insert(f.name);
  return out;
}

/// A fidelity rung of the settings: train examples (0: all) and epochs.
struct fidelity_rung {
  std::int64_t train_samples = 0, epochs = 1;
};

/// "500x1,1500x1,3000x2" -> rungs; errors name the setting and the bad part.
inline std::vector<fidelity_rung> parse_fidelities(const std::string& text) {
  std::vector<fidelity_rung> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const auto part = text.substr(start, end - start);
    const auto x = part.find('x');
    fidelity_rung r;
    try {
      if (x == std::string::npos) throw std::invalid_argument("no x");
      std::size_t used = 0;
      r.train_samples = std::stoll(part.substr(0, x), &used);
      if (used != x) throw std::invalid_argument("trailing");
      r.epochs = std::stoll(part.substr(x + 1), &used);
      if (used != part.size() - x - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw error("setting 'fidelities': '" + part + "' is not SAMPLESxEPOCHS (e.g. 500x1); give the rungs as 500x1,1500x1,3000x2");
    }
    if (r.train_samples < 0 || r.epochs < 1)
      throw error("setting 'fidelities': in '" + part + "' the samples must be >= 0 (0: all) and the epochs >= 1");
    out.push_back(r);
    start = end + 1;
  }
  return out;
}

/// "lora8,ia3" -> {"lora8", "ia3"}; empty parts are dropped.
inline std::vector<std::string> parse_names(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// "step_ms,peak_memory_mb" -> the extra objectives, in order; errors name the setting, the
/// unknown or repeated name and the allowed values.
inline std::vector<search::extra_objective> parse_extra_objectives(const std::string& text) {
  std::vector<search::extra_objective> out;
  for (const auto& name : parse_names(text)) {
    try {
      out.push_back(search::extra_objective_from_string(name));
    } catch (const error& e) {
      throw error("setting 'objectives': " + std::string(e.what()) +
                  " (the metric and params_pct are always objectives; list only the extra ones, comma-separated)");
    }
    if (std::count(out.begin(), out.end(), out.back()) > 1)
      throw error("setting 'objectives' names " + name + " twice; list each objective once");
  }
  return out;
}

/// "1e-3,3e-3" -> numbers, each positive; errors name the setting.
inline std::vector<double> parse_numbers(const std::string& text, const std::string& field) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const auto part = text.substr(start, end - start);
    try {
      std::size_t used = 0;
      out.push_back(std::stod(part, &used));
      if (used != part.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw error("setting '" + field + "': '" + part + "' is not a number; give a comma-separated list such as 1e-3,3e-3");
    }
    if (!(out.back() > 0)) throw error("setting '" + field + "': every value must be positive, not " + part);
    start = end + 1;
  }
  return out;
}

/// Applies --config FILE under the flags, then checks the values.
inline void resolve_settings(const CLI::App& cmd, study_settings& s, const std::string& config_file) {
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) throw error(config_file + ": cannot open the config file (check the path)");
    nlohmann::json j;
    try {
      j = autopeft::detail::parse_json(in);
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
      throw error(config_file + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    settings_from_json(s, j, config_file, given_flags(cmd, s));
  }
  auto bad = [](const std::string& field, const std::string& what) { throw error("setting '" + field + "' " + what); };
  if (s.trials < 1) bad("trials", "must be at least 1");
  if (s.initial < 1) bad("initial", "must be at least 1");
  if (s.batch < 1) bad("batch", "must be at least 1");
  if (s.design != "stratified" && s.design != "sobol" && s.design != "random")
    bad("design", "must be stratified, sobol or random, not '" + s.design + "'");
  if (s.space != "default" && s.space != "autopeft") bad("space", "must be default or autopeft, not '" + s.space + "'");
  if (s.cost != "stored" && s.cost != "trainable") bad("cost", "must be stored or trainable, not '" + s.cost + "'");
  if (s.eta < 2) bad("eta", "must be at least 2");
  (void)parse_fidelities(s.fidelities);
  (void)parse_extra_objectives(s.objectives);
  if (!(s.ref_step_ms > 0)) bad("ref_step_ms", "must be positive");
  if (!(s.ref_peak_memory_mb > 0)) bad("ref_peak_memory_mb", "must be positive");
  (void)parse_numbers(s.lr_grid, "lr_grid");
  for (const auto& field : {std::pair{"baseline_methods", &s.baseline_methods}, std::pair{"initial_methods", &s.initial_methods}})
    for (const auto& name : parse_names(*field.second)) {
      const auto known = peft::hand_designed_names();
      if (name == "full" || std::find(known.begin(), known.end(), name) == known.end())
        bad(field.first, "names an unknown method '" + name +
                             "'; use lora8, lora16, pfeiffer, parallel, prefix, mam, unipelt, ia3 or bitfit, comma-separated");
    }
  if (s.device != "cpu" && !s.device.starts_with("cuda"))
    bad("device", "must be cpu, cuda or cuda:N, not '" + s.device + "'");
  if (s.epochs < 1 && s.max_steps < 1) bad("epochs", "must be at least 1 (or set max_steps)");
  if (!(s.lr > 0)) bad("lr", "must be positive");
  if (s.batch_size < 1) bad("batch_size", "must be at least 1");
  if (s.max_seq_length < 3) bad("max_seq_length", "must be at least 3");
  if (s.train_samples < 0 || s.eval_samples < 0 || s.final_train_samples < 0)
    bad("train_samples", "and eval_samples, final_train_samples must not be negative");
  if (s.retrain_seeds < 0) bad("retrain_seeds", "must not be negative");
  if (s.final_epochs < 1) bad("final_epochs", "must be at least 1");
  if (!(s.ref_params > 0)) bad("ref_params", "must be positive");
}

}  // namespace autopeft::cli
