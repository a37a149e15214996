// AutoPEFT's configurations against the hand-designed PEFT methods (peft/hand_designed.hpp), each
// trained the same way with several seeds on the embedded benchmark's tasks: the re-training
// step of the AutoPEFT method and its comparison with the baselines, as one resumable program.
//
//   autopeft_vs_baselines --backbone DIR --out runs.jsonl [--tasks wn_pos,fortune_category]
//       [--methods lora8,...|all|none] [--configs fronts.jsonl] [--seeds 5] [--shard 0/4]
//       [--train-samples N] [--epochs E] [--lr LR] [--full-lr LR] [--lr-grid 3e-4,1e-3,3e-3]
//       [--lr-runs DIR] [--device cuda] ...
//
// Work: every method of --methods on every task of --tasks, and every line of --configs (an
// AutoPEFT configuration: {"label": ..., "source_task": ..., "params": {...}, "task": ...}) on
// its "task" (or, without one, on every task of --tasks), each with seeds 1..--seeds. A run trains
// a fresh model (pooler and head drawn from the seed) at the given fidelity and records the best
// dev metric and the PEFT modules' parameters in % of the backbone, as the search does.
//
// Learning rates. Without --lr-grid every PEFT method trains at --lr and full fine-tuning at
// --full-lr. With it, each hand-designed method (full fine-tuning included) gets its rate from the
// one grid, chosen on dev with an equal budget: one "lr_probe" run per rate and probe seed at the
// final fidelity (--lr-seed, 0 by default; never one of the reported seeds 1..--seeds), then the
// reported runs at the rate whose probes reached the best mean dev metric (ties: the first in
// grid order; a rate that diverged on any probe seed is out). More than one probe seed keeps an
// edge-of-stability rate, which learns on one seed and collapses on others, from being chosen. The probes of a (task, method) are read from --lr-runs (a JSONL file, or a folder
// whose *.jsonl are all read; default --out); the reported runs of a method wait until all its
// probes are there, so sharded processes run the program twice: probes, then the rest.
//
// One JSON line per finished run is appended to --out and flushed; a run already in --out is
// skipped, so a killed program continues where it stopped. --shard i/n takes every n-th run,
// so n processes (one --out each) share the work. bench/autopeft_vs_baselines.sh runs the whole
// comparison; bench/autopeft_vs_baselines.py makes the tables and plots from the lines.
#include "autopeft/passive_omp_wait.hpp"
#include "autopeft/study_session.hpp"

#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>
#include <autopeft/peft/hand_designed.hpp>
#include <autopeft/peft/trainable.hpp>
#include <autopeft/space/family.hpp>
#include <autopeft/space/spaces/autopeft_space.hpp>
#include <autopeft/train/pretrained_backbone.hpp>
#include <autopeft/train/trainer.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace autopeft;

namespace {

struct options {
  std::string backbone, out, configs, shard = "0/1", device = "cpu", cost = "stored";
  std::vector<std::string> tasks{"wn_supersense", "wn_hypernym", "wn_paraphrase", "wn_pos", "fortune_category"};
  std::vector<std::string> methods{"all"};
  std::int64_t seeds = 5, train_samples = 0, eval_samples = 0, epochs = 3, batch_size = 32, max_seq_length = 64;
  double lr = 2e-3, full_lr = 1e-4;
  std::vector<double> lr_grid;
  std::vector<std::uint64_t> lr_seeds{0};
  std::string lr_runs;
  int threads = 0;
};

// One run to do: a method or an AutoPEFT configuration, on a task, with a seed.
struct unit {
  std::string task, kind, label, source_task;  // kind: "baseline", "lr_probe" or "autopeft"
  nlohmann::json params;                       // autopeft: the configuration
  std::uint64_t seed = 0;
  double lr = 0;                               // baseline, lr_probe: the rate (0: the fixed one)
  [[nodiscard]] std::string key() const { return key_of(task, kind, label, seed, lr); }
  // A baseline run at a grid-chosen rate is keyed by its rate too: when more probes change the
  // chosen rate, the runs at the old one no longer count as done.
  static std::string key_of(const std::string& task, const std::string& kind, const std::string& label, std::uint64_t seed, double lr) {
    const auto rate = kind == "lr_probe" ? "|probe " : kind == "baseline" && lr > 0 ? "|lr " : "";
    return task + "|" + label + "|" + std::to_string(seed) + (*rate ? rate + nlohmann::json(lr).dump() : "");
  }
};

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::stringstream in(item);
    for (std::string s; std::getline(in, s, ',');)
      if (!s.empty()) out.push_back(s);
  }
  return out;
}

// The runs already in `path`, by key (and, in `records`, whole). A last line without its newline
// (the program was killed while writing it) is cut off, so that appending starts on a line of
// its own.
// `repair` false reads another process's file: its unfinished last line is only skipped.
std::set<std::string> finished_runs(const std::filesystem::path& path, std::vector<nlohmann::json>* records = nullptr, bool repair = true) {
  std::set<std::string> done;
  if (!std::filesystem::exists(path)) return done;
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete != text.size() && repair) {
    std::fprintf(stderr, "%s: dropping an unfinished last line (%zu bytes)\n", path.c_str(), text.size() - complete);
    std::filesystem::resize_file(path, complete);
  }
  std::stringstream in(text.substr(0, complete));
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    try {
      const auto j = nlohmann::json::parse(line);
      const auto kind = j.value("kind", std::string());
      const bool rated = kind == "lr_probe" || (kind == "baseline" && j.contains("lr_grid"));
      done.insert(unit::key_of(j.at("task").get<std::string>(), kind, j.at("label").get<std::string>(), j.at("seed").get<std::uint64_t>(),
                               rated ? j.at("learning_rate").get<double>() : 0.0));
      if (records) records->push_back(j);
    } catch (const nlohmann::json::exception& e) {
      throw error(path.string() + ":" + std::to_string(line_no) + ": not a run record (" + e.what() +
                  "): give --out a file this program wrote, or a new one");
    }
  }
  return done;
}

std::vector<unit> configuration_units(const options& o, const std::vector<std::string>& tasks) {
  std::vector<unit> out;
  if (o.configs.empty()) return out;
  std::ifstream in(o.configs);
  if (!in) throw error(o.configs + ": cannot open the --configs file (check the path)");
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = o.configs + ":" + std::to_string(line_no);
    nlohmann::json j;
    try {
      std::istringstream s(line);
      j = autopeft::detail::parse_json(s);
    } catch (const nlohmann::json::exception& e) {
      throw error(where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object() || !j.contains("label") || !j["label"].is_string() || !j.contains("params") || !j["params"].is_object())
      throw error(where + ": expected {\"label\": \"...\", \"params\": {...}} (optional \"source_task\", \"task\")");
    std::vector<std::string> on = tasks;
    if (j.contains("task")) {
      if (!j["task"].is_string()) throw error(where + ": field 'task' must be a task name");
      on = {j["task"].get<std::string>()};
    }
    for (const auto& t : on)
      for (std::int64_t s = 1; s <= o.seeds; ++s)
        out.push_back({.task = t,
                       .kind = "autopeft",
                       .label = j["label"].get<std::string>(),
                       .source_task = j.value("source_task", std::string()),
                       .params = j["params"],
                       .seed = static_cast<std::uint64_t>(s)});
  }
  return out;
}

struct run_result {
  train::train_result fit;
  std::int64_t peft_parameters = 0, head_parameters = 0;
  std::int64_t stored_parameters = 0;  ///< what the adapted model stores (a prefix folded)
  std::string diverged;                ///< non-empty: the loss turned NaN or infinite (why), and `fit` is empty
};

// Trains a fresh classifier of family F on `task`: the backbone frozen except what `plan`
// trains (or nothing frozen, `full`), the pooler and the head trained, drawn from `seed`.
template <class F>
run_result train_once(const train::pretrained_backbone& backbone, const data::task& task, train::trainer_options o,
                      const F& plan, bool full, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto m = backbone.sequence_classifier<F>(task.info.num_labels(), plan);
  m->to(o.device);
  run_result r;
  if (full) {
    for (auto& p : m->parameters()) p.set_requires_grad(true);
  } else {
    peft::mark_trainable(m);
    for (auto& p : m->named_parameters())
      if (p.key().find("pooler.") != std::string::npos) p.value().set_requires_grad(true);
  }
  for (const auto& p : m->named_parameters()) {
    if (!p.value().requires_grad()) continue;
    // The pooler trains with the head in every method, but counts as backbone under full fine-tuning.
    const bool in_backbone = peft::is_peft_parameter(p.key()) ||
                             (peft::is_backbone_parameter(p.key()) && (full || p.key().find("pooler.") == std::string::npos));
    (in_backbone ? r.peft_parameters : r.head_parameters) += p.value().numel();
  }
  // A prefix's MLP trains but is not stored: the adapted model keeps the folded prefix.
  r.stored_parameters = full ? r.peft_parameters : plan.stored_parameters(m->config());
  o.seed = seed;
  try {
    r.fit = train::trainer(o).fit(m, task, backbone.tokenizer());
  } catch (const train::non_finite_loss& e) {
    r.diverged = e.what();  // a rate too high for the method: recorded, not fatal
  }
  return r;
}

// The lr_probe records of every *.jsonl in `where` (a folder) or of the file `where`.
std::vector<nlohmann::json> probe_records(const std::filesystem::path& where) {
  std::vector<nlohmann::json> all;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(where)) {
    for (const auto& e : std::filesystem::directory_iterator(where))
      if (e.path().extension() == ".jsonl") files.push_back(e.path());
  } else {
    files.push_back(where);
  }
  for (const auto& f : files) (void)finished_runs(f, &all, false);
  std::erase_if(all, [](const nlohmann::json& j) { return j.value("kind", std::string()) != "lr_probe"; });
  return all;
}

// The grid's rate whose probes of (task, method) reached the best mean dev metric over the probe
// seeds (ties: the first in grid order), with that mean; none while a probe is missing.
std::optional<std::pair<double, double>> chosen_lr(const std::vector<nlohmann::json>& probes, const std::string& task,
                                                    const std::string& method, const std::vector<double>& grid,
                                                    const std::vector<std::uint64_t>& seeds) {
  std::optional<std::pair<double, double>> best;
  bool missing = false;
  for (const double lr : grid) {
    double sum = 0;
    bool diverged = false;
    for (const auto seed : seeds) {
      const auto it = std::find_if(probes.begin(), probes.end(), [&](const nlohmann::json& j) {
        return j.at("task") == task && j.at("label") == method && j.at("seed").get<std::uint64_t>() == seed &&
               j.at("learning_rate").get<double>() == lr;
      });
      if (it == probes.end()) {
        missing = true;
      } else if (it->at("best_metric").is_null()) {
        diverged = true;  // a probe diverged: this rate is out
      } else {
        sum += it->at("best_metric").get<double>();
      }
    }
    if (missing || diverged) continue;
    const double mean = sum / static_cast<double>(seeds.size());
    if (!best || mean > best->second) best = std::pair{lr, mean};
  }
  if (missing) return std::nullopt;
  if (!best)
    throw error("--lr-grid: every rate diverged for " + method + " on " + task + " (see the probes in --lr-runs); give lower rates");
  return best;
}

// The fraction of the most frequent label in the task's dev split: the majority-class rate.
double majority_rate(const data::task& t) {
  std::map<std::int64_t, std::size_t> counts;
  for (const auto& e : t.dev) ++counts[e.label];
  std::size_t most = 0;
  for (const auto& [label, n] : counts) most = std::max(most, n);
  return t.dev.empty() ? 0.0 : static_cast<double>(most) / static_cast<double>(t.dev.size());
}

// Backbone parameters as the search counts them: the encoder's, the pooler included, PEFT not.
std::int64_t backbone_parameters(const train::pretrained_backbone& b) {
  auto m = b.sequence_classifier(2);
  std::int64_t n = 0;
  for (const auto& p : m->backbone->named_parameters())
    if (!peft::is_peft_parameter(p.key())) n += p.value().numel();
  return n;
}

}  // namespace

int main(int argc, char** argv) try {
  cli::ensure_passive_omp_wait(argv);
  options o;
  CLI::App app{"Train AutoPEFT configurations and the hand-designed PEFT methods with several seeds; one JSON line per run."};
  app.add_option("--backbone", o.backbone, "pretrained backbone folder (autopeft pretrain --out)")->required();
  app.add_option("--out", o.out, "JSON Lines file of finished runs (appended; runs in it are skipped)")->required();
  app.add_option("--tasks", o.tasks, "embedded tasks, comma-separated")->delimiter(',')->capture_default_str();
  app.add_option("--methods", o.methods, "hand-designed methods (lora8, lora16, pfeiffer, parallel, prefix, mam, unipelt, ia3, bitfit, full), all or none")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--configs", o.configs, "JSON Lines of AutoPEFT configurations: {\"label\", \"params\", \"source_task\", \"task\"}");
  app.add_option("--seeds", o.seeds, "seeds 1..N per method and configuration")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--shard", o.shard, "i/n: do every n-th run, starting at the i-th")->capture_default_str();
  app.add_option("--train-samples", o.train_samples, "training examples (a seeded subset; 0: all)")->capture_default_str();
  app.add_option("--eval-samples", o.eval_samples, "dev examples (0: all)")->capture_default_str();
  app.add_option("--epochs", o.epochs, "epochs")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate of the PEFT methods (AdamW, 10% warm-up, linear decay)")->capture_default_str();
  app.add_option("--full-lr", o.full_lr, "peak learning rate of full fine-tuning")->capture_default_str();
  app.add_option("--lr-grid", o.lr_grid,
                 "rates, comma-separated: each hand-designed method (full fine-tuning too) trains at the one whose probe run is "
                 "best on dev (overrides --lr and --full-lr for them)")
      ->delimiter(',');
  app.add_option("--lr-seed", o.lr_seeds, "seeds of the --lr-grid probe runs, comma-separated (a rate is chosen by its mean over them)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--lr-runs", o.lr_runs, "JSONL file, or folder of *.jsonl, holding the probe runs (default: --out)");
  app.add_option("--batch-size", o.batch_size, "examples per step")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-seq-length", o.max_seq_length, "tokens per example")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--cost", o.cost, "params_pct counts the stored parameters (a prefix folded, as the search prices it) or the trainable ones")
      ->check(CLI::IsMember({"stored", "trainable"}))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads for LibTorch (0: all cores)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.threads > 0) torch::set_num_threads(o.threads);

  std::int64_t shard = 0, shards = 1;
  if (std::sscanf(o.shard.c_str(), "%lld/%lld", reinterpret_cast<long long*>(&shard), reinterpret_cast<long long*>(&shards)) != 2 ||
      shards < 1 || shard < 0 || shard >= shards)
    throw error("--shard '" + o.shard + "': expected i/n with 0 <= i < n (e.g. 0/4)");
  if (!(o.lr > 0) || !(o.full_lr > 0)) throw error("--lr and --full-lr must be positive");
  for (const double lr : o.lr_grid)
    if (!(lr > 0)) throw error("--lr-grid: every rate must be positive, not " + nlohmann::json(lr).dump());
  if (std::set<double>(o.lr_grid.begin(), o.lr_grid.end()).size() != o.lr_grid.size()) throw error("--lr-grid: a rate is repeated");
  if (o.lr_seeds.empty()) throw error("--lr-seed: give at least one probe seed (0 by default)");
  if (std::set<std::uint64_t>(o.lr_seeds.begin(), o.lr_seeds.end()).size() != o.lr_seeds.size()) throw error("--lr-seed: a seed is repeated");
  for (const auto seed : o.lr_seeds)
    if (!o.lr_grid.empty() && seed >= 1 && static_cast<std::int64_t>(seed) <= o.seeds)
      throw error("--lr-seed " + std::to_string(seed) + " is one of the reported seeds 1.." + std::to_string(o.seeds) +
                  ": choose the rates on other seeds (0 by default)");
  if (o.lr_runs.empty()) o.lr_runs = o.out;
  if (o.device != "cpu" && !o.device.starts_with("cuda")) throw error("--device must be cpu, cuda or cuda:N, not '" + o.device + "'");
  if (o.device.starts_with("cuda") && !torch::cuda::is_available())
    throw error("--device " + o.device + ": no CUDA device is available to this LibTorch; use --device cpu");
  if (!std::filesystem::is_directory(o.backbone))
    throw error("--backbone " + o.backbone + " is not a folder: give a folder written by `autopeft pretrain --out`");

  const auto backbone = train::pretrained_backbone::load(o.backbone);
  const auto config = backbone.config();
  const auto backbone_params = backbone_parameters(backbone);
  const auto tasks = split_list(o.tasks);
  auto methods = split_list(o.methods);
  if (methods.size() == 1 && methods[0] == "all") methods = peft::hand_designed_names();
  if (methods.size() == 1 && methods[0] == "none") methods.clear();
  for (const auto& m : methods) (void)peft::hand_designed(m, config);  // unknown names fail here, before any work

  std::vector<unit> work;
  const auto probes = o.lr_grid.empty() ? std::vector<nlohmann::json>{} : probe_records(o.lr_runs);
  std::size_t waiting = 0;
  for (const auto& t : tasks)
    for (const auto& m : methods) {
      double lr = 0;
      if (!o.lr_grid.empty()) {
        for (const auto seed : o.lr_seeds)
          for (const double g : o.lr_grid)
            work.push_back({.task = t, .kind = "lr_probe", .label = m, .source_task = "", .params = {}, .seed = seed, .lr = g});
        const auto chosen = chosen_lr(probes, t, m, o.lr_grid, o.lr_seeds);
        if (!chosen) {
          ++waiting;
          continue;
        }
        lr = chosen->first;
      }
      for (std::int64_t s = 1; s <= o.seeds; ++s)
        work.push_back({.task = t, .kind = "baseline", .label = m, .source_task = "", .params = {}, .seed = static_cast<std::uint64_t>(s), .lr = lr});
    }
  if (waiting > 0)
    std::fprintf(stderr, "%zu (task, method) pairs wait for their --lr-grid probes (in %s): run again once the probes are done\n", waiting,
                 o.lr_runs.c_str());
  for (auto& u : configuration_units(o, tasks)) work.push_back(std::move(u));
  std::vector<unit> mine;
  for (std::size_t i = 0; i < work.size(); ++i)
    if (static_cast<std::int64_t>(i % static_cast<std::size_t>(shards)) == shard) mine.push_back(work[i]);

  const auto done = finished_runs(o.out);
  std::set<std::string> probed;  // probes finished by any process writing to --lr-runs
  for (const auto& j : probes)
    probed.insert(unit::key_of(j.at("task"), "lr_probe", j.at("label"), j.at("seed"), j.at("learning_rate")));
  std::erase_if(mine, [&](const unit& u) { return done.contains(u.key()) || probed.contains(u.key()); });
  std::fprintf(stderr, "%zu runs in all, %zu in shard %s, %zu of them still to do\n", work.size(),
               static_cast<std::size_t>((work.size() + static_cast<std::size_t>(shards - 1 - shard)) / static_cast<std::size_t>(shards)),
               o.shard.c_str(), mine.size());
  if (mine.empty()) return 0;

  std::fprintf(stderr, "building the embedded benchmark from /usr/share/wordnet and /usr/share/games/fortunes\n");
  const auto bench = data::embedded_benchmark::build();
  for (const auto& t : tasks) (void)bench.at(t);  // an unknown task fails before any work

  train::trainer_options base;
  base.warmup_ratio = 0.1;
  base.train_batch_size = o.batch_size;
  base.max_seq_length = static_cast<std::size_t>(o.max_seq_length);
  base.max_train_samples = static_cast<std::size_t>(o.train_samples);
  base.max_eval_samples = static_cast<std::size_t>(o.eval_samples);
  base.num_train_epochs = o.epochs;
  base.device = torch::Device(o.device);
  base.bf16 = base.device.is_cuda();

  std::ofstream out(o.out, std::ios::app);
  if (!out) throw error(o.out + ": cannot open --out for appending (check the folder and its permissions)");
  std::size_t n = 0;
  for (const auto& u : mine) {
    const auto& task = bench.at(u.task);
    auto to = base;
    const auto t0 = std::chrono::steady_clock::now();
    run_result r;
    if (u.kind != "autopeft") {
      const auto m = peft::hand_designed(u.label, config);
      to.learning_rate = u.lr > 0 ? u.lr : m.full_finetuning ? o.full_lr : o.lr;
      r = train_once(backbone, task, to, m.plan, m.full_finetuning, u.seed);
    } else {
      to.learning_rate = o.lr;
      // A configuration of the default space (LoRA and the learning rate searched) or of the paper's.
      cli::study_settings space_of;
      space_of.space = u.params.contains("lora_r") ? "default" : "autopeft";
      r = cli::with_space(space_of, config.num_hidden_layers, [&]<class S>(const space::family_t<S>& base) {
        const auto c = S::from_json(u.params, o.configs + ": " + u.label);
        if constexpr (S::has("lr")) to.learning_rate = static_cast<double>(S::template get<"lr">(c));
        return train_once(backbone, task, to, space::to_plan(S{}, c, base), false, u.seed);
      });
    }
    const auto& diverged = r.diverged;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto priced = o.cost == "stored" ? r.stored_parameters : r.peft_parameters;
    const double pct = 100.0 * static_cast<double>(priced) / static_cast<double>(backbone_params);
    nlohmann::json line{{"task", u.task},
                        {"kind", u.kind},
                        {"label", u.label},
                        {"source_task", u.source_task},
                        {"seed", u.seed},
                        {"metric", data::to_string(task.info.metric)},
                        {"best_metric", r.fit.best_metric},
                        {"final_metric", r.fit.final_metric},
                        {"params_pct", pct},
                        {"peft_parameters", r.peft_parameters},
                        {"stored_parameters", r.stored_parameters},
                        {"cost", o.cost},
                        {"head_parameters", r.head_parameters},
                        {"backbone_parameters", backbone_params},
                        {"learning_rate", to.learning_rate},
                        {"majority_rate", majority_rate(task)},
                        {"steps", r.fit.steps},
                        {"train_examples", r.fit.train_examples},
                        {"eval_examples", r.fit.eval_examples},
                        {"seconds", seconds}};
    if (!diverged.empty()) {
      line["best_metric"] = nullptr;
      line["final_metric"] = nullptr;
      line["diverged"] = diverged;
    }
    if (u.kind == "autopeft") line["params"] = u.params;
    if (u.kind == "baseline" && !o.lr_grid.empty()) {
      line["lr_grid"] = o.lr_grid;
      line["lr_probe_seeds"] = o.lr_seeds;
    }
    out << line.dump() << "\n";
    out.flush();
    if (!out) throw error(o.out + ": writing a run failed (disk full?); the runs before it are kept");
    if (!diverged.empty())
      std::fprintf(stderr, "[%zu/%zu] %-16s %-28s seed %llu  lr %.0e%s  diverged: %s\n", ++n, mine.size(), u.task.c_str(),
                   u.label.c_str(), static_cast<unsigned long long>(u.seed), to.learning_rate, u.kind == "lr_probe" ? " (probe)" : "",
                   diverged.c_str());
    else
      std::fprintf(stderr, "[%zu/%zu] %-16s %-28s seed %llu  lr %.0e%s  %s %.4f  params %.4f%%  (%.1fs)\n", ++n, mine.size(),
                   u.task.c_str(), u.label.c_str(), static_cast<unsigned long long>(u.seed), to.learning_rate,
                   u.kind == "lr_probe" ? " (probe)" : "", data::to_string(task.info.metric), r.fit.best_metric, pct, seconds);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "autopeft_vs_baselines: %s\n", e.what());
  return 1;
}
