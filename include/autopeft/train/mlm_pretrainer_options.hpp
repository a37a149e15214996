#pragma once
// The options of mlm_pretrainer, named as HF's TrainingArguments and run_mlm.py name them.
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/train/detail/json_options.hpp>
#include <autopeft/train/mlm_masking.hpp>
#include <autopeft/train/ppmi_embeddings.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace autopeft::train {

/// Example:
///   train::mlm_pretrainer_options o;
///   o.model.hidden_size = 256;  o.model.num_hidden_layers = 4;  o.model.num_attention_heads = 4;
///   o.model.intermediate_size = 1024;
///   o.max_steps = 2000;  o.output_dir = "out/backbone";  o.save_steps = 500;
struct mlm_pretrainer_options {
  /// The encoder's shape. vocab_size and pad_token_id are taken from the tokenizer; the dropout
  /// probabilities are what config.json records for fine-tuning (see pretraining_dropout).
  model::EncoderConfig model = model::EncoderConfig::bert_base();
  std::int64_t max_seq_length = 128;     ///< block length, [CLS] included
  std::int64_t train_batch_size = 64;
  std::int64_t max_steps = 1000;
  double learning_rate = 1e-3;
  double warmup_ratio = 0.06;
  std::int64_t warmup_steps = -1;        ///< >= 0: overrides warmup_ratio
  double weight_decay = 0.01;            ///< not on biases and LayerNorm weights
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.98;              ///< RoBERTa's value, steadier than 0.999 at high rates
  double adam_epsilon = 1e-6;
  double max_grad_norm = 1.0;
  mlm_masking masking;
  /// How word embeddings start: "normal" (BERT's N(0, 0.02)) or "ppmi" (count-based vectors of
  /// the training data, ppmi_embeddings.hpp; special and unseen tokens keep the normal draw).
  std::string word_embedding_init = "ppmi";
  ppmi_embedding_options ppmi;
  /// Dropout (hidden and attention) while pretraining; negative: the model config's. Short
  /// pretraining underfits, so it runs without dropout (Geiping & Goldstein, 2023, "Cramming").
  double pretraining_dropout = 0.0;
  std::uint64_t seed = 42;
  /// Checkpoint every save_steps steps (0: never), keeping the newest save_total_limit.
  std::int64_t save_steps = 0;
  std::int64_t save_total_limit = 1;
  /// Where checkpoints (output_dir/checkpoints) and the final model go; empty: nowhere.
  std::filesystem::path output_dir;
  /// Continue from the newest checkpoint in output_dir; false: start over (old checkpoints are
  /// removed).
  bool resume_from_checkpoint = true;
  torch::Device device = torch::kCPU;
  bool bf16 = false;                     ///< bf16 autocast (CUDA only)

  void validate() const {
    auto fail = [](const std::string& field, const std::string& what) {
      throw error("mlm_pretrainer_options: field '" + field + "' " + what);
    };
    if (max_seq_length < 8) fail("max_seq_length", "must be at least 8, got " + std::to_string(max_seq_length));
    if (max_seq_length > model.max_position_embeddings)
      fail("max_seq_length", "(" + std::to_string(max_seq_length) + ") exceeds model.max_position_embeddings (" +
                                 std::to_string(model.max_position_embeddings) + ")");
    if (train_batch_size < 1) fail("train_batch_size", "must be positive");
    if (max_steps < 1) fail("max_steps", "must be positive");
    if (!(learning_rate > 0)) fail("learning_rate", "must be positive");
    if (warmup_ratio < 0 || warmup_ratio > 1) fail("warmup_ratio", "must lie in [0, 1]");
    if (weight_decay < 0) fail("weight_decay", "must not be negative");
    if (!(max_grad_norm > 0)) fail("max_grad_norm", "must be positive");
    if (pretraining_dropout >= 1) fail("pretraining_dropout", "must be below 1");
    if (save_steps < 0) fail("save_steps", "must not be negative");
    if (word_embedding_init != "normal" && word_embedding_init != "ppmi")
      fail("word_embedding_init", "is '" + word_embedding_init + "'; use \"normal\" or \"ppmi\"");
    if (ppmi.window < 1) fail("ppmi_window", "must be positive");
    masking.validate();
  }

  /// The fields that decide the trained weights (not where or how often they are saved).
  [[nodiscard]] nlohmann::json to_json() const {
    return {{"model", model_json(model)},
            {"max_seq_length", max_seq_length},
            {"train_batch_size", train_batch_size},
            {"max_steps", max_steps},
            {"learning_rate", learning_rate},
            {"warmup_ratio", warmup_ratio},
            {"warmup_steps", warmup_steps},
            {"weight_decay", weight_decay},
            {"adam_beta1", adam_beta1},
            {"adam_beta2", adam_beta2},
            {"adam_epsilon", adam_epsilon},
            {"max_grad_norm", max_grad_norm},
            {"mlm_probability", masking.mlm_probability},
            {"mask_replace_prob", masking.mask_replace_prob},
            {"random_replace_prob", masking.random_replace_prob},
            {"word_embedding_init", word_embedding_init},
            {"ppmi_window", ppmi.window},
            {"pretraining_dropout", pretraining_dropout},
            {"seed", seed}};
  }

  /// Overrides the fields `j` names (the "model" object field by field) and leaves the others;
  /// unknown fields are errors. `where` names the source in messages.
  void merge_json(const nlohmann::json& j, const std::string& where) {
    detail::json_options r(j, where);
    double mlm = masking.mlm_probability, mask = masking.mask_replace_prob, rnd = masking.random_replace_prob;
    r.get("max_seq_length", max_seq_length)
        .get("train_batch_size", train_batch_size)
        .get("max_steps", max_steps)
        .get("learning_rate", learning_rate)
        .get("warmup_ratio", warmup_ratio)
        .get("warmup_steps", warmup_steps)
        .get("weight_decay", weight_decay)
        .get("adam_beta1", adam_beta1)
        .get("adam_beta2", adam_beta2)
        .get("adam_epsilon", adam_epsilon)
        .get("max_grad_norm", max_grad_norm)
        .get("mlm_probability", mlm)
        .get("mask_replace_prob", mask)
        .get("random_replace_prob", rnd)
        .get("word_embedding_init", word_embedding_init)
        .get("ppmi_window", ppmi.window)
        .get("pretraining_dropout", pretraining_dropout)
        .get("seed", seed)
        .get("save_steps", save_steps)
        .get("save_total_limit", save_total_limit);
    masking = {mlm, mask, rnd};
    nlohmann::json m;
    r.get("model", m);
    r.finish();
    if (!m.is_null()) merge_model_json(model, m, where + ": field 'model'");
    validate();
  }

  /// The shape fields of an encoder config (those a recipe may set).
  [[nodiscard]] static nlohmann::json model_json(const model::EncoderConfig& c) {
    return {{"model_type", model::to_string(c.model_type)},
            {"hidden_size", c.hidden_size},
            {"num_hidden_layers", c.num_hidden_layers},
            {"num_attention_heads", c.num_attention_heads},
            {"intermediate_size", c.intermediate_size},
            {"hidden_act", c.hidden_act},
            {"hidden_dropout_prob", c.hidden_dropout_prob},
            {"attention_probs_dropout_prob", c.attention_probs_dropout_prob},
            {"max_position_embeddings", c.max_position_embeddings},
            {"type_vocab_size", c.type_vocab_size},
            {"layer_norm_eps", c.layer_norm_eps}};
  }

  static void merge_model_json(model::EncoderConfig& c, const nlohmann::json& j, const std::string& where) {
    detail::json_options r(j, where);
    std::string type = model::to_string(c.model_type);
    r.get("model_type", type)
        .get("hidden_size", c.hidden_size)
        .get("num_hidden_layers", c.num_hidden_layers)
        .get("num_attention_heads", c.num_attention_heads)
        .get("intermediate_size", c.intermediate_size)
        .get("hidden_act", c.hidden_act)
        .get("hidden_dropout_prob", c.hidden_dropout_prob)
        .get("attention_probs_dropout_prob", c.attention_probs_dropout_prob)
        .get("max_position_embeddings", c.max_position_embeddings)
        .get("type_vocab_size", c.type_vocab_size)
        .get("layer_norm_eps", c.layer_norm_eps);
    r.finish();
    if (type == "bert") c.model_type = model::architecture::bert;
    else if (type == "roberta") c.model_type = model::architecture::roberta;
    else throw error(where + ": field 'model_type' is '" + type + "'; use \"bert\" or \"roberta\"");
    c.validate(where);
  }
};

}  // namespace autopeft::train
