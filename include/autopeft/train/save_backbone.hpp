#pragma once
// Writes a pretrained backbone directory:
//   config.json          HF BertForMaskedLM config (vocab_size = the tokenizer's)
//   model.safetensors    bert.* and cls.predictions.* (the decoder is tied to the embeddings)
//   vocab.txt            the WordPiece vocabulary (BertTokenizer's file)
//   autopeft.json        backbone_manifest: tokenizer and normaliser, special ids, how it was made
// HF transformers reads the first three (BertForMaskedLM / BertTokenizer.from_pretrained, with
// do_lower_case as autopeft.json says); autopeft's pretrained_backbone reads all four.
// autopeft.json is written last, with the size and CRC-32 of the other three.
#include <autopeft/data/bert_normalizer.hpp>
#include <autopeft/data/wordpiece_tokenizer.hpp>
#include <autopeft/data/wordpiece_trainer.hpp>
#include <autopeft/detail/json_file.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/train/backbone_manifest.hpp>
#include <autopeft/train/mlm_pretrainer.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace autopeft::train {

/// `manifest` supplies the recipe, the tokenizer's normaliser (which the tokenizer does not
/// expose) and any extra pretraining facts; the tokenizer's file, special ids, max_seq_length and
/// the standard pretraining facts are filled in here.
inline void save_backbone(const std::filesystem::path& dir, const pretrain_result& result,
                          const data::wordpiece_tokenizer& tokenizer, backbone_manifest manifest,
                          std::int64_t max_seq_length) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  io::save_pretrained(result.model, dir);
  // The model ran with pretraining's dropout; config.json records the one to fine-tune with.
  auto j = result.config.to_json();
  j["architectures"] = {"BertForMaskedLM"};
  if (result.config.model_type == model::architecture::roberta) j["architectures"] = {"RobertaForMaskedLM"};
  j["torch_dtype"] = "float32";
  autopeft::detail::write_json_file(dir / "config.json", j);
  std::vector<std::string> vocab;
  vocab.reserve(tokenizer.vocab_size());
  for (std::size_t i = 0; i < tokenizer.vocab_size(); ++i) vocab.push_back(tokenizer.id_to_token(static_cast<std::int64_t>(i)));
  manifest.tokenizer_type = "wordpiece";
  manifest.tokenizer_file = "vocab.txt";
  data::write_vocab(dir / manifest.tokenizer_file, vocab);
  manifest.special_tokens = tokenizer.special_ids();
  manifest.max_seq_length = max_seq_length;
  const double final_loss = [&] {  // mean of the last 5% of steps: one step's loss is noisy
    const auto& h = result.loss_history;
    if (h.empty()) return 0.0;
    const std::size_t k = std::max<std::size_t>(1, h.size() / 20);
    double s = 0;
    for (std::size_t i = h.size() - k; i < h.size(); ++i) s += h[i];
    return s / static_cast<double>(k);
  }();
  manifest.pretraining["steps"] = result.steps;
  manifest.pretraining["final_loss"] = final_loss;
  manifest.pretraining["first_loss"] = result.loss_history.empty() ? 0.0 : result.loss_history.front();
  manifest.pretraining["sequences"] = result.sequences;
  manifest.pretraining["tokens_per_epoch"] = result.tokens_per_epoch;
  manifest.pretraining["tokens_per_second"] = result.tokens_per_second;
  manifest.pretraining["resumed_from_step"] = result.resumed_from_step;
  manifest.record_files(dir, {"config.json", "model.safetensors", manifest.tokenizer_file});
  manifest.save(dir);
}

}  // namespace autopeft::train
