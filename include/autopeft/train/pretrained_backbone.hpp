#pragma once
// A pretrained backbone directory (save_backbone's layout) loaded for fine-tuning: its config,
// its tokenizer and task models built on its weights.
#include <autopeft/data/wordpiece_tokenizer.hpp>
#include <autopeft/io/hf_checkpoint.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/model/sequence_classifier.hpp>
#include <autopeft/train/backbone_manifest.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>

namespace autopeft::train {

/// Example:
///   auto backbone = train::pretrained_backbone::load(train::default_backbone());
///   auto model = backbone.sequence_classifier(task.info.num_labels());      // full fine-tuning
///   auto lora = backbone.sequence_classifier<peft::plan<peft::lora>>(2, plan);
class pretrained_backbone {
 public:
  /// Reads autopeft.json, checks the files it lists (size and CRC-32), reads config.json and the
  /// tokenizer; the weights are read by each sequence_classifier() call.
  [[nodiscard]] static pretrained_backbone load(const std::filesystem::path& dir) {
    auto manifest = backbone_manifest::load(dir);
    manifest.verify_files(dir);  // a truncated or bit-flipped file is named before anything parses it
    auto config = model::EncoderConfig::load(dir / "config.json");
    auto tokenizer = data::wordpiece_tokenizer::from_file(dir / manifest.tokenizer_file, {.normalizer = manifest.normalizer});
    if (static_cast<std::int64_t>(tokenizer.vocab_size()) != config.vocab_size)
      throw file_error(dir / manifest.tokenizer_file,
                       "has " + std::to_string(tokenizer.vocab_size()) + " tokens but config.json's vocab_size is " +
                           std::to_string(config.vocab_size) + ": the directory mixes two backbones");
    return pretrained_backbone(dir, std::move(manifest), std::move(config), std::move(tokenizer));
  }

  /// A classifier (num_labels == 1: regression) on the pretrained weights; the head (and the
  /// pooler, which masked-LM pretraining does not train) start from their initialisation, drawn
  /// from torch's global generator as in the constructor of a randomly initialised model.
  template <class Plan = model::no_peft>
  [[nodiscard]] model::SequenceClassifier<Plan> sequence_classifier(std::int64_t num_labels, const Plan& plan = {}) const {
    auto c = config_;
    c.num_labels = num_labels;
    c.problem_type = num_labels == 1 ? "regression" : "single_label_classification";
    model::SequenceClassifier<Plan> m(c, plan);
    io::load_weights(*m, dir_ / "model.safetensors");
    if constexpr (!std::is_same_v<Plan, model::no_peft>) m->reset_peft(plan);  // DoRA & co. see the pretrained weights
    return m;
  }

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] const model::EncoderConfig& config() const { return config_; }
  [[nodiscard]] const data::wordpiece_tokenizer& tokenizer() const { return tokenizer_; }
  [[nodiscard]] const backbone_manifest& manifest() const { return manifest_; }
  /// The block length the backbone was pretrained on: fine-tune with at most this many tokens.
  [[nodiscard]] std::int64_t max_seq_length() const { return manifest_.max_seq_length; }

 private:
  pretrained_backbone(std::filesystem::path dir, backbone_manifest m, model::EncoderConfig c, data::wordpiece_tokenizer t)
      : dir_(std::move(dir)), manifest_(std::move(m)), config_(std::move(c)), tokenizer_(std::move(t)) {}

  std::filesystem::path dir_;
  backbone_manifest manifest_;
  model::EncoderConfig config_;
  data::wordpiece_tokenizer tokenizer_;
};

}  // namespace autopeft::train
