#pragma once
// The shape of a Llama-family decoder (Llama, Mistral without a sliding window, Qwen2), read
// from and written to HuggingFace's `config.json` with the same field names.
#include <autopeft/detail/json_value.hpp>
#include <autopeft/detail/json_file.hpp>
#include <autopeft/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace autopeft::model {

enum class decoder_family { llama, mistral, qwen2 };

inline const char* to_string(decoder_family f) {
  switch (f) {
    case decoder_family::llama: return "llama";
    case decoder_family::mistral: return "mistral";
    case decoder_family::qwen2: return "qwen2";
  }
  return "?";
}

/// HF's `rope_scaling`: none, "linear" (positions divided by `factor`) or "llama3" (low
/// frequencies divided by `factor`, high ones kept, a smooth blend between; Llama 3.1).
struct RopeScaling {
  std::string rope_type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 8192;
};

/// Options of the decoder; defaults are a small Llama. `head_dim` 0 means hidden_size /
/// num_attention_heads; `attention_bias` puts biases on q/k/v/o (Qwen2: on q/k/v only).
///
/// Example:
///   model::DecoderConfig c;
///   c.hidden_size = 64, c.num_attention_heads = 4, c.num_key_value_heads = 2;
///   c.validate();
struct DecoderConfig {
  decoder_family model_type = decoder_family::llama;
  std::int64_t vocab_size = 32000;
  std::int64_t hidden_size = 512;
  std::int64_t intermediate_size = 1376;
  std::int64_t num_hidden_layers = 4;
  std::int64_t num_attention_heads = 8;
  std::int64_t num_key_value_heads = 8;
  std::int64_t head_dim = 0;
  std::string hidden_act = "silu";
  std::int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool attention_bias = false;
  bool mlp_bias = false;
  double attention_dropout = 0.0;
  bool tie_word_embeddings = false;
  std::int64_t pad_token_id = -1;  ///< -1: none (HF's null)
  std::int64_t bos_token_id = 1;
  std::int64_t eos_token_id = 2;
  /// The sequence-classification head: labels, and HF's `problem_type`.
  std::int64_t num_labels = 2;
  std::string problem_type;

  [[nodiscard]] std::int64_t dim_per_head() const { return head_dim > 0 ? head_dim : hidden_size / num_attention_heads; }
  /// Qwen2 has biases on q, k and v (not o) whatever `attention_bias` says.
  [[nodiscard]] bool qkv_bias() const { return model_type == decoder_family::qwen2 || attention_bias; }
  [[nodiscard]] bool o_bias() const { return model_type != decoder_family::qwen2 && attention_bias; }

  /// Throws autopeft::error naming the offending field when the shape cannot work.
  void validate(const std::string& where = "DecoderConfig") const {
    auto fail = [&](const std::string& field, const std::string& what) { throw error(where + ": field '" + field + "' " + what); };
    auto positive = [&](const char* field, std::int64_t v) {
      if (v <= 0) fail(field, "must be positive, got " + std::to_string(v));
    };
    positive("vocab_size", vocab_size);
    positive("hidden_size", hidden_size);
    positive("intermediate_size", intermediate_size);
    positive("num_hidden_layers", num_hidden_layers);
    positive("num_attention_heads", num_attention_heads);
    positive("num_key_value_heads", num_key_value_heads);
    positive("max_position_embeddings", max_position_embeddings);
    positive("num_labels", num_labels);
    if (head_dim < 0) fail("head_dim", "must be positive (or absent)");
    if (head_dim == 0 && hidden_size % num_attention_heads != 0)
      fail("hidden_size", "(" + std::to_string(hidden_size) + ") must be a multiple of num_attention_heads (" +
                              std::to_string(num_attention_heads) + "), or give head_dim");
    if (dim_per_head() % 2 != 0) fail("head_dim", "must be even: rotary embeddings turn pairs of dimensions");
    if (num_attention_heads % num_key_value_heads != 0)
      fail("num_key_value_heads", "(" + std::to_string(num_key_value_heads) + ") must divide num_attention_heads (" +
                                      std::to_string(num_attention_heads) + ")");
    if (hidden_act != "silu" && hidden_act != "swish")
      fail("hidden_act", "is '" + hidden_act + "'; the decoder's gated MLP is SwiGLU ('silu')");
    if (!(rms_norm_eps > 0)) fail("rms_norm_eps", "must be positive");
    if (!(rope_theta > 0)) fail("rope_theta", "must be positive");
    if (rope_scaling.rope_type != "default" && rope_scaling.rope_type != "linear" && rope_scaling.rope_type != "llama3")
      fail("rope_scaling", "has type '" + rope_scaling.rope_type + "'; supported: linear and llama3 (or none)");
    if (!(rope_scaling.factor >= 1.0)) fail("rope_scaling", "factor must be at least 1");
    if (rope_scaling.rope_type == "llama3") {
      if (!(rope_scaling.high_freq_factor > rope_scaling.low_freq_factor) || !(rope_scaling.low_freq_factor > 0))
        fail("rope_scaling", "needs 0 < low_freq_factor < high_freq_factor");
      if (rope_scaling.original_max_position_embeddings <= 0) fail("rope_scaling", "original_max_position_embeddings must be positive");
    }
    if (attention_dropout < 0 || attention_dropout >= 1) fail("attention_dropout", "must lie in [0, 1)");
    if (pad_token_id < -1 || pad_token_id >= vocab_size) fail("pad_token_id", "must lie in [0, vocab_size), or be null");
  }

  [[nodiscard]] nlohmann::json to_json() const {
    const char* arch = model_type == decoder_family::llama     ? "LlamaForCausalLM"
                       : model_type == decoder_family::mistral ? "MistralForCausalLM"
                                                                : "Qwen2ForCausalLM";
    nlohmann::json j = {{"architectures", {arch}},
                        {"model_type", to_string(model_type)},
                        {"vocab_size", vocab_size},
                        {"hidden_size", hidden_size},
                        {"intermediate_size", intermediate_size},
                        {"num_hidden_layers", num_hidden_layers},
                        {"num_attention_heads", num_attention_heads},
                        {"num_key_value_heads", num_key_value_heads},
                        {"hidden_act", hidden_act},
                        {"max_position_embeddings", max_position_embeddings},
                        {"rms_norm_eps", rms_norm_eps},
                        {"rope_theta", rope_theta},
                        {"attention_dropout", attention_dropout},
                        {"tie_word_embeddings", tie_word_embeddings},
                        {"bos_token_id", bos_token_id},
                        {"eos_token_id", eos_token_id},
                        {"pad_token_id", pad_token_id >= 0 ? nlohmann::json(pad_token_id) : nlohmann::json(nullptr)},
                        {"num_labels", num_labels}};
    if (model_type != decoder_family::qwen2) j["attention_bias"] = attention_bias;
    if (model_type == decoder_family::llama) j["mlp_bias"] = mlp_bias;
    if (model_type == decoder_family::mistral) j["sliding_window"] = nullptr;
    if (head_dim > 0) j["head_dim"] = head_dim;
    if (!problem_type.empty()) j["problem_type"] = problem_type;
    if (rope_scaling.rope_type == "default") {
      j["rope_scaling"] = nullptr;
    } else {
      j["rope_scaling"] = {{"rope_type", rope_scaling.rope_type}, {"factor", rope_scaling.factor}};
      if (rope_scaling.rope_type == "llama3") {
        j["rope_scaling"]["low_freq_factor"] = rope_scaling.low_freq_factor;
        j["rope_scaling"]["high_freq_factor"] = rope_scaling.high_freq_factor;
        j["rope_scaling"]["original_max_position_embeddings"] = rope_scaling.original_max_position_embeddings;
      }
    }
    return j;
  }

  /// Reads HF's config.json fields; `where` names the source in error messages.
  static DecoderConfig from_json(const nlohmann::json& j, const std::string& where = "config") {
    if (!j.is_object()) throw error(where + ": expected a JSON object");
    auto get_in = [&](const nlohmann::json& obj, const std::string& field, auto& out) {
      if (!obj.contains(field) || obj[field].is_null()) return;
      try {
        out = autopeft::detail::json_value<std::decay_t<decltype(out)>>(obj[field]);
      } catch (const nlohmann::json::exception& e) {
        throw error(where + ": field '" + field + "' has the wrong type (" + e.what() + ")");
      }
    };
    auto get = [&](const char* field, auto& out) { get_in(j, field, out); };
    std::string type;
    get("model_type", type);
    DecoderConfig c;
    if (type == "llama") {
      c.model_type = decoder_family::llama;
    } else if (type == "mistral") {
      c.model_type = decoder_family::mistral;
    } else if (type == "qwen2") {
      c.model_type = decoder_family::qwen2;
    } else {
      throw error(where + ": field 'model_type' is '" + type + "'; autopeft's decoder reads 'llama', 'mistral' and 'qwen2'");
    }
    get("vocab_size", c.vocab_size);
    get("hidden_size", c.hidden_size);
    get("intermediate_size", c.intermediate_size);
    get("num_hidden_layers", c.num_hidden_layers);
    get("num_attention_heads", c.num_attention_heads);
    c.num_key_value_heads = c.num_attention_heads;  // HF's default when the field is absent
    get("num_key_value_heads", c.num_key_value_heads);
    get("head_dim", c.head_dim);
    get("hidden_act", c.hidden_act);
    get("max_position_embeddings", c.max_position_embeddings);
    get("rms_norm_eps", c.rms_norm_eps);
    get("rope_theta", c.rope_theta);
    get("attention_bias", c.attention_bias);
    get("mlp_bias", c.mlp_bias);
    get("attention_dropout", c.attention_dropout);
    get("tie_word_embeddings", c.tie_word_embeddings);
    get("bos_token_id", c.bos_token_id);
    get("eos_token_id", c.eos_token_id);
    get("pad_token_id", c.pad_token_id);
    get("problem_type", c.problem_type);
    if (j.contains("num_labels")) {
      get("num_labels", c.num_labels);
    } else if (j.contains("id2label") && j["id2label"].is_object()) {
      c.num_labels = static_cast<std::int64_t>(j["id2label"].size());
    }
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
      const auto& r = j["rope_scaling"];
      if (!r.is_object()) throw error(where + ": field 'rope_scaling' must be an object or null");
      std::string t = "default";
      get_in(r, "type", t);  // older configs
      get_in(r, "rope_type", t);
      c.rope_scaling.rope_type = t;
      get_in(r, "factor", c.rope_scaling.factor);
      get_in(r, "low_freq_factor", c.rope_scaling.low_freq_factor);
      get_in(r, "high_freq_factor", c.rope_scaling.high_freq_factor);
      get_in(r, "original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings);
    }
    // A sliding window shorter than the context changes the attention pattern, which this
    // decoder does not implement; Mistral 7B v0.2 and later have none.
    bool use_sliding_window = c.model_type == decoder_family::mistral;
    get("use_sliding_window", use_sliding_window);
    std::int64_t window = 0;
    get("sliding_window", window);
    if (use_sliding_window && window > 0 && window < c.max_position_embeddings)
      throw error(where + ": field 'sliding_window' is " + std::to_string(window) + ", below max_position_embeddings (" +
                  std::to_string(c.max_position_embeddings) +
                  "): sliding-window attention is not supported; use a checkpoint without one (Mistral v0.2 or later)");
    c.validate(where);
    return c;
  }

  static DecoderConfig load(const std::filesystem::path& file) {
    return from_json(autopeft::detail::read_json_file(file), file.string());
  }

  /// Writes config.json (through a temporary file, renamed over the target).
  void save(const std::filesystem::path& file) const { autopeft::detail::write_json_file(file, to_json()); }
};

}  // namespace autopeft::model
