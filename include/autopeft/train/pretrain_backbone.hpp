#pragma once
// Builds a backbone from a recipe into a directory: the embedded corpus (WordNet + fortunes), a
// WordPiece vocabulary trained on it, masked-LM pretraining with checkpoints, and the files of
// save_backbone. Rerun on the same directory, it resumes: the vocabulary already written is
// reused and pretraining continues from its newest checkpoint.
#include <autopeft/data/embedded_benchmark.hpp>
#include <autopeft/data/wordpiece_tokenizer.hpp>
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/io/remove_tree.hpp>
#include <autopeft/train/backbone_recipe.hpp>
#include <autopeft/train/mlm_pretrainer.hpp>
#include <autopeft/train/progress.hpp>
#include <autopeft/train/save_backbone.hpp>
#include <autopeft/train/training_checkpoint.hpp>

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace autopeft::train {

struct pretrain_backbone_options {
  torch::Device device = torch::kCPU;
  /// bf16 autocast when the device is a GPU.
  bool bf16 = true;
  /// Continue a run found in the directory (tokenizer and checkpoints); false: start over.
  bool resume = true;
  /// Keep output_dir/checkpoints after the final files are written.
  bool keep_checkpoints = false;
  progress_callback progress;
  /// Stage messages ("training the tokenizer ..."); none when empty.
  std::function<void(const std::string&)> log;
};

/// Wall times of the stages, in seconds, and what the run did.
struct pretrain_backbone_report {
  double corpus_seconds = 0, tokenizer_seconds = 0, pretrain_seconds = 0, total_seconds = 0;
  std::size_t documents = 0;
  bool tokenizer_reused = false;
  pretrain_result result;
};

inline pretrain_backbone_report pretrain_backbone(const backbone_recipe& recipe, const std::filesystem::path& dir,
                                                  const pretrain_backbone_options& options = {}) {
  namespace fs = std::filesystem;
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
  auto log = [&](const std::string& s) {
    if (options.log) options.log(s);
  };
  pretrain_backbone_report report;
  const auto t0 = clock::now();
  fs::create_directories(dir);

  log("building the embedded corpus from " + recipe.data.wordnet_dir.string() + " and " + recipe.data.fortunes_dir.string());
  auto t = clock::now();
  const auto bench = data::embedded_benchmark::build(recipe.data);
  report.corpus_seconds = seconds(t);
  report.documents = bench.corpus.size();

  t = clock::now();
  const auto vocab = dir / "vocab.txt";
  if (options.resume && fs::exists(vocab) && training_checkpoint::latest(dir / "checkpoints")) {
    log("reusing the vocabulary " + vocab.string());
    report.tokenizer_reused = true;
  } else {
    log("training a WordPiece vocabulary of " + std::to_string(recipe.tokenizer.vocab_size) + " tokens on " +
        std::to_string(bench.corpus.size()) + " documents");
    data::write_vocab(vocab, data::train_wordpiece(bench.corpus, recipe.tokenizer));
  }
  const auto tok = data::wordpiece_tokenizer::from_file(vocab, {.normalizer = recipe.tokenizer.normalizer});
  report.tokenizer_seconds = seconds(t);

  auto o = recipe.pretraining;
  o.output_dir = dir;
  o.device = options.device;
  o.bf16 = options.bf16 && options.device.is_cuda();
  o.resume_from_checkpoint = options.resume;
  log("pretraining " + std::to_string(o.model.num_hidden_layers) + " layers x hidden " + std::to_string(o.model.hidden_size) +
      " for " + std::to_string(o.max_steps) + " steps of " + std::to_string(o.train_batch_size) + " x " +
      std::to_string(o.max_seq_length) + " tokens on " + options.device.str());
  t = clock::now();
  report.result = mlm_pretrainer(o).train(tok, bench.corpus, options.progress);
  report.pretrain_seconds = seconds(t);

  backbone_manifest manifest;
  manifest.normalizer = recipe.tokenizer.normalizer;
  manifest.recipe = recipe.to_json();
  manifest.pretraining["corpus_documents"] = report.documents;
  manifest.pretraining["device"] = options.device.str();
  manifest.pretraining["seconds"] = {{"corpus", report.corpus_seconds}, {"tokenizer", report.tokenizer_seconds},
                                     {"pretrain", report.pretrain_seconds}};
  save_backbone(dir, report.result, tok, manifest, o.max_seq_length);
  if (!options.keep_checkpoints) io::remove_tree(dir / "checkpoints");
  report.total_seconds = seconds(t0);
  return report;
}

}  // namespace autopeft::train
