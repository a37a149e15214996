#pragma once
// `autopeft pretrain`: builds the default backbone (the cache entry that default_backbone()
// returns) or, with --out, a backbone in a directory of one's choice; prints the directory on
// stdout and progress on stderr.
#include "command_error.hpp"

#include <autopeft/train/default_backbone.hpp>
#include <autopeft/train/pretrain_backbone.hpp>
#include <autopeft/train/progress_printer.hpp>
#include <autopeft/train/training_checkpoint.hpp>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

namespace autopeft::cli {

struct pretrain_args {
  std::string config = "tiny";
  std::string out;
  std::int64_t steps = 0;
  std::string device = "cpu";
  bool resume = false;
  bool fp32 = false;
  int threads = 0;
};

/// The recipe --config names: "tiny", "tiny_long", "gpu" or a JSON file.
inline train::backbone_recipe recipe_from_flag(const std::string& config) {
  if (config == "tiny" || config == "tiny_long" || config == "gpu") return train::backbone_recipe::named(config);
  if (std::filesystem::is_regular_file(config)) return train::backbone_recipe::load(config);
  if (std::filesystem::exists(config))
    throw error("--config " + config + " is not a regular file: give a JSON recipe file, tiny, tiny_long or gpu");
  throw error("--config '" + config + "' is neither a recipe name (tiny, tiny_long, gpu) nor an existing file: check the path");
}

inline void run_pretrain(const pretrain_args& a) {
  if (a.threads > 0) torch::set_num_threads(a.threads);
  auto recipe = recipe_from_flag(a.config);
  if (a.steps > 0) recipe.pretraining.max_steps = a.steps;
  recipe.pretraining.validate();
  const torch::Device device = a.device == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw error("--device cuda: no CUDA device is available to this LibTorch (a CPU-only build, or no GPU visible); use --device cpu");

  train::progress_printer bar("pretrain");
  auto log = [bar](const std::string& s) {
    bar.finish_bar();
    std::cerr << s << "\n";
  };
  const auto& m = recipe.pretraining.model;
  std::cerr << "recipe '" << recipe.name << "' (" << recipe.fingerprint() << "): " << m.num_hidden_layers << " layers, hidden "
            << m.hidden_size << ", " << m.num_attention_heads << " heads, FFN " << m.intermediate_size << "; "
            << recipe.pretraining.max_steps << " steps of " << recipe.pretraining.train_batch_size << " x "
            << recipe.pretraining.max_seq_length << " tokens; " << torch::get_num_threads() << " CPU threads\n";

  std::filesystem::path dir;
  if (a.out.empty()) {
    train::default_backbone_options o;
    o.recipe = recipe;
    o.fallback.reset();  // build the recipe asked for, however long it takes
    o.device = device;
    o.bf16 = !a.fp32;
    o.progress = bar;
    o.log = log;
    dir = train::default_backbone(o);
  } else {
    dir = a.out;
    if (!a.resume) {
      if (train::training_checkpoint::latest(dir / "checkpoints"))
        throw error(dir.string() + " holds checkpoints of an earlier run: pass --resume to continue it, or choose another --out");
      if (std::filesystem::exists(dir / train::backbone_manifest::file_name))
        throw error(dir.string() + " already holds a pretrained backbone: choose another --out, or remove it first");
    }
    const auto report = train::pretrain_backbone(recipe, dir, {.device = device, .bf16 = !a.fp32, .resume = a.resume, .keep_checkpoints = false,
                                                                .progress = bar, .log = log});
    std::fprintf(stderr, "corpus %.1f s, tokenizer %.1f s, pretraining %.1f s; total %.1f s\n", report.corpus_seconds,
                 report.tokenizer_seconds, report.pretrain_seconds, report.total_seconds);
  }
  const auto manifest = train::backbone_manifest::load(dir);
  std::fprintf(stderr, "backbone: %lld steps, final MLM loss %.3f\n",
               static_cast<long long>(manifest.pretraining.value("steps", 0)), manifest.pretraining.value("final_loss", 0.0));
  std::cout << dir.string() << std::endl;
}

inline void add_pretrain_command(CLI::App& app) {
  auto a = std::make_shared<pretrain_args>();
  auto* cmd = app.add_subcommand(
      "pretrain",
      "Pretrain a masked-LM backbone on the embedded WordNet + fortunes corpus. Without --out the backbone goes "
      "to the cache (AUTOPEFT_CACHE_DIR, else $XDG_CACHE_HOME/autopeft, else ~/.cache/autopeft), where the other "
      "commands find it; an interrupted cache build resumes by itself.");
  cmd->add_option("--config", a->config, "recipe: tiny (about 4 minutes on 2 CPU cores; the fallback default backbone), tiny_long (the default "
                  "backbone, shipped with autopeft; minutes on a GPU), gpu, or a JSON recipe file")
      ->type_name("NAME|FILE")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "write the backbone to DIR instead of the cache")->type_name("DIR");
  cmd->add_option("--steps", a->steps, "pretraining steps (overrides the recipe)")->type_name("N")->check(CLI::PositiveNumber);
  cmd->add_option("--device", a->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_flag("--fp32", a->fp32, "on cuda, train in fp32 rather than under bf16 autocast");
  cmd->add_flag("--resume", a->resume, "continue the run in --out from its newest checkpoint");
  cmd->add_option("--threads", a->threads, "CPU threads for LibTorch (default: all cores)")->type_name("N")->check(CLI::PositiveNumber);
  cmd->callback([a] { run_command("pretrain", [&] { run_pretrain(*a); }); });
}

}  // namespace autopeft::cli
