#pragma once
// The shape of a BERT- or RoBERTa-style encoder, read from and written to HuggingFace's
// `config.json` with the same field names.
#include <autopeft/detail/json_value.hpp>
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace autopeft::model {

enum class architecture { bert, roberta };

inline const char* to_string(architecture a) { return a == architecture::bert ? "bert" : "roberta"; }

/// Options of the encoder; defaults are bert-base-uncased's.
///
/// Example:
///   EncoderConfig c;            // bert-base
///   c.num_hidden_layers = 2;    // ...made small
///   auto r = EncoderConfig::roberta_base();
struct EncoderConfig {
  architecture model_type = architecture::bert;
  std::int64_t vocab_size = 30522;
  std::int64_t hidden_size = 768;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  std::int64_t max_position_embeddings = 512;
  std::int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  std::int64_t pad_token_id = 0;
  std::int64_t bos_token_id = 0;
  std::int64_t eos_token_id = 2;
  /// Head options: number of labels (1 means regression) and the classifier dropout
  /// (negative: use hidden_dropout_prob, as HF does for `classifier_dropout: null`).
  std::int64_t num_labels = 2;
  double classifier_dropout = -1.0;
  /// HF's `problem_type`: "", "regression", "single_label_classification" or
  /// "multi_label_classification".
  std::string problem_type;

  [[nodiscard]] std::int64_t head_dim() const { return hidden_size / num_attention_heads; }
  [[nodiscard]] double head_dropout() const {
    return classifier_dropout >= 0 ? classifier_dropout : hidden_dropout_prob;
  }
  [[nodiscard]] bool is_regression() const {
    return problem_type == "regression" || (problem_type.empty() && num_labels == 1);
  }

  static EncoderConfig bert_base() { return {}; }
  static EncoderConfig roberta_base() {
    EncoderConfig c;
    c.model_type = architecture::roberta;
    c.vocab_size = 50265;
    c.max_position_embeddings = 514;
    c.type_vocab_size = 1;
    c.layer_norm_eps = 1e-5;
    c.pad_token_id = 1;
    c.bos_token_id = 0;
    c.eos_token_id = 2;
    return c;
  }

  /// Throws autopeft::error naming the offending field when the shape cannot work.
  void validate(const std::string& where = "EncoderConfig") const {
    auto fail = [&](const std::string& field, const std::string& what) {
      throw error(where + ": field '" + field + "' " + what);
    };
    auto positive = [&](const char* field, std::int64_t v) {
      if (v <= 0) fail(field, "must be positive, got " + std::to_string(v));
    };
    positive("vocab_size", vocab_size);
    positive("hidden_size", hidden_size);
    positive("num_hidden_layers", num_hidden_layers);
    positive("num_attention_heads", num_attention_heads);
    positive("intermediate_size", intermediate_size);
    positive("max_position_embeddings", max_position_embeddings);
    positive("type_vocab_size", type_vocab_size);
    positive("num_labels", num_labels);
    if (hidden_size % num_attention_heads != 0)
      fail("hidden_size", "(" + std::to_string(hidden_size) +
                              ") must be a multiple of num_attention_heads (" +
                              std::to_string(num_attention_heads) + ")");
    static const std::vector<std::string> acts{"gelu", "gelu_new", "gelu_pytorch_tanh", "relu",
                                               "silu", "swish", "tanh"};
    if (std::find(acts.begin(), acts.end(), hidden_act) == acts.end())
      fail("hidden_act", "is '" + hidden_act +
                             "'; supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, tanh");
    if (pad_token_id < 0 || pad_token_id >= vocab_size)
      fail("pad_token_id", "must lie in [0, vocab_size)");
    if (model_type == architecture::roberta && max_position_embeddings <= pad_token_id + 1)
      fail("max_position_embeddings", "must exceed pad_token_id + 1 for RoBERTa positions");
    for (auto [name, p] : {std::pair{"hidden_dropout_prob", hidden_dropout_prob},
                           std::pair{"attention_probs_dropout_prob", attention_probs_dropout_prob}})
      if (p < 0 || p >= 1) fail(name, "must lie in [0, 1)");
    if (layer_norm_eps <= 0) fail("layer_norm_eps", "must be positive");
  }

  [[nodiscard]] nlohmann::json to_json() const {
    nlohmann::json j;
    const bool bert = model_type == architecture::bert;
    j["architectures"] = {bert ? "BertModel" : "RobertaModel"};
    j["model_type"] = to_string(model_type);
    j["vocab_size"] = vocab_size;
    j["hidden_size"] = hidden_size;
    j["num_hidden_layers"] = num_hidden_layers;
    j["num_attention_heads"] = num_attention_heads;
    j["intermediate_size"] = intermediate_size;
    j["hidden_act"] = hidden_act;
    j["hidden_dropout_prob"] = hidden_dropout_prob;
    j["attention_probs_dropout_prob"] = attention_probs_dropout_prob;
    j["max_position_embeddings"] = max_position_embeddings;
    j["type_vocab_size"] = type_vocab_size;
    j["layer_norm_eps"] = layer_norm_eps;
    j["pad_token_id"] = pad_token_id;
    j["bos_token_id"] = bos_token_id;
    j["eos_token_id"] = eos_token_id;
    j["initializer_range"] = 0.02;
    j["position_embedding_type"] = "absolute";
    j["classifier_dropout"] = classifier_dropout >= 0 ? nlohmann::json(classifier_dropout)
                                                      : nlohmann::json(nullptr);
    if (!problem_type.empty()) j["problem_type"] = problem_type;
    nlohmann::json id2label, label2id;
    for (std::int64_t i = 0; i < num_labels; ++i) {
      id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
      label2id["LABEL_" + std::to_string(i)] = i;
    }
    j["id2label"] = id2label;
    j["label2id"] = label2id;
    return j;
  }

  /// Reads HF's config.json fields; `where` names the source in error messages.
  static EncoderConfig from_json(const nlohmann::json& j, const std::string& where = "config") {
    if (!j.is_object()) throw error(where + ": expected a JSON object");
    auto get = [&](const char* field, auto& out) {
      if (!j.contains(field) || j[field].is_null()) return;
      try {
        out = autopeft::detail::json_value<std::decay_t<decltype(out)>>(j[field]);
      } catch (const nlohmann::json::exception& e) {
        throw error(where + ": field '" + field + "' has the wrong type (" + e.what() + ")");
      }
    };
    std::string type = "bert";
    get("model_type", type);
    EncoderConfig c;
    if (type == "bert") {
      c = bert_base();
    } else if (type == "roberta" || type == "xlm-roberta" || type == "camembert") {
      c = roberta_base();
    } else {
      throw error(where + ": field 'model_type' is '" + type +
                  "'; autopeft's encoder reads 'bert' and 'roberta' checkpoints");
    }
    get("vocab_size", c.vocab_size);
    get("hidden_size", c.hidden_size);
    get("num_hidden_layers", c.num_hidden_layers);
    get("num_attention_heads", c.num_attention_heads);
    get("intermediate_size", c.intermediate_size);
    get("hidden_act", c.hidden_act);
    get("hidden_dropout_prob", c.hidden_dropout_prob);
    get("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
    get("max_position_embeddings", c.max_position_embeddings);
    get("type_vocab_size", c.type_vocab_size);
    get("layer_norm_eps", c.layer_norm_eps);
    get("pad_token_id", c.pad_token_id);
    get("bos_token_id", c.bos_token_id);
    get("eos_token_id", c.eos_token_id);
    get("classifier_dropout", c.classifier_dropout);
    get("problem_type", c.problem_type);
    if (j.contains("num_labels")) {
      get("num_labels", c.num_labels);
    } else if (j.contains("id2label") && j["id2label"].is_object()) {
      c.num_labels = static_cast<std::int64_t>(j["id2label"].size());
    }
    std::string pos = "absolute";
    get("position_embedding_type", pos);
    if (pos != "absolute")
      throw error(where + ": field 'position_embedding_type' is '" + pos +
                  "'; only 'absolute' positions are supported");
    c.validate(where);
    return c;
  }

  static EncoderConfig load(const std::filesystem::path& file) {
    return from_json(autopeft::detail::read_json_file(file), file.string());
  }

  /// Writes config.json (through a temporary file, renamed over the target).
  void save(const std::filesystem::path& file) const { autopeft::detail::write_json_file(file, to_json()); }
};

}  // namespace autopeft::model
