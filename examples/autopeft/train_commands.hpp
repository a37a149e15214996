#pragma once
// `autopeft train` (one configuration trained fully, with one or more seeds) and `autopeft
// export` (a configuration trained fully and its trained weights written: the PEFT modules and
// the task head, which with the backbone folder are the whole fine-tuned model).
#include "command_error.hpp"
#include "study_session.hpp"
#include "study_settings.hpp"

#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/io/safetensors.hpp>
#include <autopeft/peft/adapter_io.hpp>
#include <autopeft/peft/stored_state.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace autopeft::cli {

struct train_args {
  study_settings s;
  std::string config;           // --config FILE (settings)
  std::string params;           // --params: JSON object or file
  std::int64_t trial = -1;      // --trial N of --study in --store
  std::int64_t seeds = 1;
  std::uint64_t first_seed = 1;
  std::string out;              // export: the folder
};

namespace detail {

/// The configuration and settings a train/export command names: a trial of a stored study
/// (its settings, flags on top), or --params with the settings from flags and --config.
inline nlohmann::json resolve_configuration(train_args& a, const CLI::App& cmd) {
  if (a.trial >= 0) {
    if (!std::filesystem::exists(a.s.store)) throw error(a.s.store + ": no such study store (check --store)");
    auto store = search::study_store::open(a.s.store);
    const auto study = pick_study(store, a.s.study);
    const auto given = given_flags(cmd, a.s);
    settings_from_stored(a.s, study.config, a.s.store + ", study \"" + study.name + "\"", given);
    resolve_settings(cmd, a.s, a.config);
    return search::detail::visible_params(store.trial(study, a.trial).params);
  }
  resolve_settings(cmd, a.s, a.config);
  if (a.params.empty())
    throw error("name the configuration: --trial N (of --study in --store), or --params '{\"sa\": 48, \"pa\": 0, \"pt\": 0, "
                "\"layers\": [true, true]}' (JSON or a JSON file)");
  std::string text = a.params;
  if (std::filesystem::is_regular_file(a.params)) {
    std::ifstream in(a.params);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw error("--params: neither a JSON object nor a readable JSON file (" + std::string(e.what()) + ")");
  }
}

inline void write_json_atomically(const std::filesystem::path& file, const nlohmann::json& j) {
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) throw file_error(tmp, "write failed");
  }
  std::filesystem::rename(tmp, file);
}

/// `export`'s files in HF's formats, under `hf`: the base model the adapters were trained on
/// (hf/base: config.json, model.safetensors, with the trained head), one HF PEFT adapter per
/// module kind HF has (hf/<policy>: peft::save_hf_adapters), and hf/reference.safetensors (token
/// ids, mask and the exported model's logits on them) for tools/check_export_hf.py. Returns what
/// the export's adapter_config.json records under "hf".
template <class Model>
nlohmann::json write_hf_files(Model& model, const std::filesystem::path& hf, std::uint64_t seed) {
  std::filesystem::create_directories(hf);
  io::save_pretrained(model, hf / "base");
  const auto report = peft::save_hf_adapters(
      model, hf, {.base_model_name_or_path = std::filesystem::absolute(hf / "base").string(), .task_type = "SEQ_CLS"});
  const auto& c = model->config();
  const auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto ids = torch::randint(5, c.vocab_size, {4, std::min<std::int64_t>(16, c.max_position_embeddings - 2)}, gen,
                                  torch::kLong);
  const auto mask = torch::ones_like(ids);
  const auto types = torch::zeros_like(ids);
  torch::Tensor logits;
  {
    const bool was_training = model->is_training();
    model->eval();
    torch::NoGradGuard ng;
    const auto device = model->parameters().front().device();
    logits = model->forward(ids.to(device), mask.to(device), types.to(device)).to(torch::kCPU, torch::kFloat32);
    model->train(was_training);
  }
  io::save_safetensors(hf / "reference.safetensors",
                       {{"input_ids", ids}, {"attention_mask", mask}, {"token_type_ids", types}, {"logits", logits}},
                       {{"format", "pt"}});
  nlohmann::json without = nlohmann::json::object();
  for (const auto& [m, why] : report.without_hf) without[m] = why;
  return {{"base", "hf/base"}, {"adapters", report.written}, {"without_hf", without},
          {"reference", "hf/reference.safetensors"}};
}

/// Trains the configuration with seeds first_seed, first_seed + 1, ...; prints each run and the
/// mean +- sd; with `out`, writes the weights of the first seed's model.
inline void train_configuration(train_args& a, const CLI::App& cmd, bool do_export) {
  const auto params = resolve_configuration(a, cmd);
  const auto& s = a.s;
  if (s.threads > 0) torch::set_num_threads(s.threads);
  const auto dir = backbone_dir(s);
  const auto backbone = train::pretrained_backbone::load(dir);
  const auto task = load_task(s);
  with_space(s, backbone.config().num_hidden_layers, [&]<class Space>(const space::family_t<Space>& base) {
    const auto c = Space::from_json(params, "--params");
    search::peft_evaluator<Space> evaluator(backbone, task, trial_options(s, true), base);
    evaluator.cost(search::cost_kind_from_string(s.cost));
    evaluator.set_progress(trial_bar());
    std::fprintf(stderr, "training %s on %s (%lld epochs, %s train examples), %lld seed(s)\n", brief(params).c_str(),
                 task.info.name.c_str(), static_cast<long long>(s.final_epochs),
                 s.final_train_samples > 0 ? std::to_string(s.final_train_samples).c_str() : "all",
                 static_cast<long long>(a.seeds));
    std::vector<double> metrics;
    double pct = 0;
    for (std::int64_t k = 0; k < a.seeds; ++k) {
      const auto seed = a.first_seed + static_cast<std::uint64_t>(k);
      const auto r = evaluator.evaluate(c, seed);
      metrics.push_back(r.objectives[0]);
      pct = r.objectives[1];
      std::printf("seed %llu: %s %.4f  params %.4f%%\n", static_cast<unsigned long long>(seed),
                  data::to_string(task.info.metric), r.objectives[0], r.objectives[1]);
      if (do_export && k == 0) {
        std::filesystem::create_directories(a.out);
        // What the adapted model stores: a prefix folded (its MLP is a training device only).
        std::vector<std::pair<std::string, torch::Tensor>> tensors;
        for (const auto& t : peft::stored_state(evaluator.model()))
          if (t.trainable) tensors.emplace_back(t.name, t.value.detach().to(torch::kCPU).contiguous());
        io::save_safetensors(std::filesystem::path(a.out) / "adapter_model.safetensors", tensors, {{"format", "pt"}});
        nlohmann::json meta{{"format", "autopeft AutoPEFT-space adapter"},
                            {"configuration", params},
                            {"backbone", std::filesystem::absolute(dir).string()},
                            {"task", task.info.name},
                            {"labels", task.info.labels},
                            {"metric", data::to_string(task.info.metric)},
                            {"dev_metric", r.objectives[0]},
                            {"params_pct", r.objectives[1]},
                            {"seed", seed},
                            {"settings", settings_to_json(s)}};
        const auto hf = std::filesystem::path(a.out) / "hf";
        const nlohmann::json written = write_hf_files(evaluator.model(), hf, seed);
        meta["hf"] = written;
        write_json_atomically(std::filesystem::path(a.out) / "adapter_config.json", meta);
        std::printf("wrote %s (adapter_model.safetensors: %zu tensors, adapter_config.json)\n", a.out.c_str(), tensors.size());
        for (const auto& m : written["adapters"]) std::printf("  hf/%s: HF PEFT adapter\n", m.get<std::string>().c_str());
        for (const auto& [m, why] : written["without_hf"].items())
          std::printf("  %s: no HF PEFT file (%s)\n", m.c_str(), why.template get<std::string>().c_str());
      }
    }
    double mean = 0, sd = 0;
    for (double m : metrics) mean += m / static_cast<double>(metrics.size());
    for (double m : metrics) sd += (m - mean) * (m - mean);
    sd = metrics.size() > 1 ? std::sqrt(sd / static_cast<double>(metrics.size() - 1)) : 0.0;
    std::printf("%s %.4f +- %.4f over %zu seed(s); %s parameters %.4f%% of the backbone\n",
                data::to_string(task.info.metric), mean, sd, metrics.size(), s.cost.c_str(), pct);
  });
}

inline CLI::App* add_train_like(CLI::App& app, const std::string& name, const std::string& help,
                                const std::shared_ptr<train_args>& a) {
  auto* cmd = app.add_subcommand(name, help);
  add_settings_options(*cmd, a->s, a->config);
  cmd->add_option("--trial", a->trial, "a trial number of --study in --store (its settings are used)")->type_name("N");
  cmd->add_option("--params", a->params, "the configuration as JSON, or a JSON file (instead of --trial)")->type_name("JSON|FILE");
  cmd->add_option("--first-seed", a->first_seed, "seed of the first run")->capture_default_str();
  return cmd;
}

}  // namespace detail

inline void add_train_command(CLI::App& app) {
  auto a = std::make_shared<train_args>();
  auto* cmd = detail::add_train_like(app, "train",
                                     "Train one configuration fully (final_epochs, final_train_samples) with --seeds seeds "
                                     "and print the dev metric, mean +- sd.",
                                     a);
  cmd->add_option("--seeds", a->seeds, "runs, with seeds first-seed, first-seed + 1, ...")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([a, cmd] { run_command("train", [&] { detail::train_configuration(*a, *cmd, false); }); });
}

inline void add_export_command(CLI::App& app) {
  auto a = std::make_shared<train_args>();
  auto* cmd = detail::add_train_like(app, "export",
                                     "Train a configuration fully and write its trained weights (PEFT modules and task head, "
                                     "adapter_model.safetensors) and adapter_config.json to --out, and in --out/hf the "
                                     "base model and an HF PEFT adapter per module kind HF PEFT has.",
                                     a);
  cmd->add_option("--out", a->out, "the folder to write")->required()->type_name("DIR");
  cmd->callback([a, cmd] { run_command("export", [&] { detail::train_configuration(*a, *cmd, true); }); });
}

}  // namespace autopeft::cli
