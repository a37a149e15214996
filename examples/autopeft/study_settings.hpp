#pragma once
// The settings of a study as the command line, a JSON config file and the study store see
// them. Each field is declared once (field_of()) and gets a flag --name, a JSON key "name" and a
// default; a flag given on the command line wins over the config file, which wins over the
// default. The resolved settings are stored with the study, so `autopeft resume` needs only the
// store and the study's name.
#include <autopeft/data/metric_kind.hpp>
#include <autopeft/detail/json_value.hpp>
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>
#include <autopeft/peft/hand_designed_names.hpp>
#include <autopeft/search/study/extra_objective.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
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
  // The user's own data instead: train and dev files (CSV, TSV or JSON Lines) read under the
  // library's data::column_mapping; the classes are the train file's labels.
  std::string train_file;
  std::string dev_file;
  std::string data_format;  // empty: by the files' extension (.csv, .tsv, .jsonl)
  std::string text_column = "text";
  std::string text_pair_column;  // empty: one text per example
  std::string label_column = "label";
  std::string metric = "accuracy";  // pearson or spearman make it a regression
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
  // "chance" (what guessing scores on the task, fixed when the study is created) or a number.
  std::string ref_metric = "chance";
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

/// "0.25" -> 0.25: a number written in full, and finite; nothing otherwise.
inline std::optional<double> finite_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

/// ref_metric: "chance" or a number, in JSON a string or a number (config files and studies
/// stored before "chance" existed hold a number).
inline settings_field ref_metric_field(std::string& member) {
  return {"ref_metric",
          [&member](CLI::App& app) {
            return app.add_option("--ref-metric,--ref_metric", member,
                                  "hypervolume reference point: metric. chance (the default): what guessing scores on the "
                                  "task, 1/k for accuracy over k classes, 0 for f1, matthews, pearson and spearman, so that "
                                  "only configurations that beat guessing add hypervolume; the study stores the number. Or "
                                  "a number, e.g. 0.7 (AutoPEFT's on GLUE)")
                ->capture_default_str();
          },
          [&member](const nlohmann::json& j) {
            member = j.is_number() ? j.dump() : autopeft::detail::json_value<std::string>(j);
          },
          [&member](nlohmann::json& j) {
            if (const auto v = finite_number(member)) j["ref_metric"] = *v;
            else j["ref_metric"] = member;
          }};
}
}  // namespace detail

/// The fields of `s`, bound to it by reference.
inline std::vector<settings_field> settings_fields(study_settings& s) {
  using detail::field_of;
  return {
      field_of("task", s.task, "embedded task (wn_supersense, wn_hypernym, wn_paraphrase, wn_pos, fortune_category) or, with --data-dir, a GLUE task (rte, sst2, ...), or, with --train-file, the name of your data (default: the train file's name)"),
      field_of("space", s.space, "search space: default (AutoPEFT's SA/PA/PT plus LoRA on query/value, (IA)3 and the learning rate) or autopeft (the paper's SA/PA/PT space, for reproduction)"),
      field_of("cost", s.cost, "cost objective: stored (parameters the adapted model stores: the prefix without its MLP, as the AutoPEFT reference) or trainable (parameters trained)"),
      field_of("objectives", s.objectives, "objectives minimised beside the metric and params_pct, comma-separated, in order: step_ms (mean ms per optimiser step), peak_memory_mb (peak MiB of the trial: CUDA allocator's peak, or the process's peak resident set on the CPU); empty: none. A study keeps the objectives it was created with"),
      field_of("data_dir", s.data_dir, "a GLUE task folder (train.tsv, dev.tsv) instead of the embedded benchmark"),
      field_of("train_file", s.train_file, "your own training data instead of the embedded benchmark: a CSV, TSV or JSON Lines file (with dev_file; the classes are the labels found in it); --task then names the data (default: the file's name)"),
      field_of("dev_file", s.dev_file, "your own dev data, scored after each trial (same format and columns as train_file)"),
      field_of("data_format", s.data_format, "format of train_file and dev_file: csv, tsv or jsonl (empty: by the extension)"),
      field_of("text_column", s.text_column, "train_file/dev_file: the column (CSV, TSV: by its header name) or JSON key of the text"),
      field_of("text_pair_column", s.text_pair_column, "train_file/dev_file: the column or key of the second text of a pair task (empty: one text)"),
      field_of("label_column", s.label_column, "train_file/dev_file: the column or key of the label (class name or index; a number for a regression)"),
      field_of("metric", s.metric, "train_file/dev_file: the metric scored on dev: accuracy, f1 (binary, class 1), matthews; pearson or spearman make the task a regression"),
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
      detail::ref_metric_field(s.ref_metric),
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
/// trainable parameters, Sobol points, a reference metric of 0); one started before extra
/// objectives or the user's own files has none (the defaults, so missing keys need nothing here).
inline void settings_from_stored(study_settings& s, const nlohmann::json& j, const std::string& where,
                                 const std::set<std::string>& given = {}) {
  if (j.is_object()) {
    if (!j.contains("space") && !given.contains("space")) s.space = "autopeft";
    if (!j.contains("cost") && !given.contains("cost")) s.cost = "trainable";
    if (!j.contains("design") && !given.contains("design")) s.design = "sobol";
    if (!j.contains("initial_methods") && !given.contains("initial_methods")) s.initial_methods.clear();
    if (!j.contains("ref_metric") && !given.contains("ref_metric")) s.ref_metric = "0";  // the default before "chance"
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

/// Checks the settings of the user's own data: train_file with dev_file, a known format, the
/// columns named; makes the paths absolute (a study is resumed from any folder) and, unless
/// `task_given`, names the task after the train file.
inline void resolve_data_files(study_settings& s, bool task_given) {
  auto bad = [](const std::string& field, const std::string& what) { throw error("setting '" + field + "' " + what); };
  if (s.train_file.empty() && s.dev_file.empty()) {
    if (s.metric != "accuracy")
      bad("metric", "applies to train_file and dev_file; the embedded tasks are scored by accuracy, a GLUE task by its own metric");
    return;
  }
  if (s.train_file.empty()) bad("dev_file", "needs train_file too: give both, e.g. --train-file train.csv --dev-file dev.csv");
  if (s.dev_file.empty()) bad("train_file", "needs dev_file too, the examples each trial is scored on: give --dev-file");
  if (!s.data_dir.empty()) bad("data_dir", "and train_file are two sources of data; give one of them");
  if (!s.data_format.empty() && s.data_format != "csv" && s.data_format != "tsv" && s.data_format != "jsonl")
    bad("data_format", "must be csv, tsv or jsonl (or empty: by the extension), not '" + s.data_format + "'");
  if (s.text_column.empty()) bad("text_column", "must name the column (or JSON key) holding the text");
  if (s.label_column.empty()) bad("label_column", "must name the column (or JSON key) holding the label");
  for (auto* file : {&s.train_file, &s.dev_file}) {
    const auto ext = std::filesystem::path(*file).extension().string();
    if (s.data_format.empty() && ext != ".csv" && ext != ".tsv" && ext != ".jsonl")
      throw error(*file + ": the format cannot be told from the extension '" + ext +
                  "'; name the files .csv, .tsv or .jsonl, or set data_format (--data-format csv|tsv|jsonl)");
    if (!std::filesystem::is_regular_file(*file)) throw error(*file + ": no such file (check the path)");
    *file = std::filesystem::absolute(*file).lexically_normal().string();
  }
  if (!task_given) s.task = std::filesystem::path(s.train_file).stem().string();
}

/// Applies --config FILE under the flags, then checks the values.
inline void resolve_settings(const CLI::App& cmd, study_settings& s, const std::string& config_file) {
  bool task_given = cmd.count("--task") > 0;
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
    task_given = task_given || (j.is_object() && j.contains("task"));
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
  if (s.ref_metric != "chance" && !detail::finite_number(s.ref_metric))
    bad("ref_metric", "must be chance or a number, not '" + s.ref_metric + "'");
  try {
    (void)data::metric_from_string(s.metric);
  } catch (const error& e) {
    bad("metric", std::string("names an ") + e.what());
  }
  resolve_data_files(s, task_given);
}

}  // namespace autopeft::cli
