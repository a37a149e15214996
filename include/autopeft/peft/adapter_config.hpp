#pragma once
// HF PEFT's adapter_config.json, per method: adapter_config<P> writes a policy's options as the
// fields HF PEFT 0.21 writes for that method (LoraConfig, IA3Config, ...), and reads them back
// into a policy. Fields a policy cannot honour (bias "all", fan_in_fan_out, rank_pattern, ...)
// are refused with an autopeft::file_error naming the field.
//
// Example:
//   auto cfg = peft::read_adapter_config("out/adapter");          // adapter_config.json
//   auto p = peft::lora_from_config(cfg);                          // r, lora_alpha, target_modules, ...
//   auto m = io::from_pretrained<model::SequenceClassifier<peft::plan<peft::lora>>>(base, nullptr,
//                                                                 peft::plan<peft::lora>{p});
#include <autopeft/detail/json_value.hpp>
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/ia3.hpp>
#include <autopeft/peft/ln_tuning.hpp>
#include <autopeft/peft/loha.hpp>
#include <autopeft/peft/lokr.hpp>
#include <autopeft/peft/lora.hpp>
#include <autopeft/peft/prefix_tuning.hpp>
#include <autopeft/peft/prompt_tuning.hpp>
#include <autopeft/peft/vera.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace autopeft::peft {

namespace detail {

using json = nlohmann::json;
namespace fs = std::filesystem;

template <class T>
T field(const json& j, const char* name, T fallback, const fs::path& file) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  try {
    return autopeft::detail::json_value<T>(j[name]);
  } catch (const json::exception&) {
    throw file_error(file, "field '" + std::string(name) + "' has the wrong type: " + j[name].dump());
  }
}

/// HF writes a whole number as an int (lora_alpha: 8), anything else as a float.
inline json number(double v) {
  return std::floor(v) == v && std::abs(v) < 1e15 ? json(static_cast<std::int64_t>(v)) : json(v);
}

inline json targets_json(const targets& t) {
  if (t.regex) return *t.regex;
  return t.names;
}
inline targets targets_field(const json& j, const char* name, targets fallback, const fs::path& file) {
  if (!j.contains(name) || j[name].is_null()) return fallback;
  const auto& v = j[name];
  targets t;
  if (v.is_string()) t.regex = v.get<std::string>();
  else if (v.is_array()) t.names = field<std::vector<std::string>>(j, name, {}, file);
  else throw file_error(file, "field '" + std::string(name) + "' must be a list of names or a regex string, not " + v.dump());
  return t;
}

inline json layers_json(const std::vector<std::int64_t>& l) { return l.empty() ? json(nullptr) : json(l); }
inline std::vector<std::int64_t> layers_field(const json& j, const fs::path& file) {
  if (!j.contains("layers_to_transform") || j["layers_to_transform"].is_null()) return {};
  if (j["layers_to_transform"].is_number_integer()) return {field<std::int64_t>(j, "layers_to_transform", 0, file)};
  return field<std::vector<std::int64_t>>(j, "layers_to_transform", {}, file);
}

/// Refuses a field whose value autopeft's policy cannot reproduce.
inline void require(const json& j, const char* name, const json& supported, const fs::path& file,
                    const std::string& why) {
  if (!j.contains(name)) return;
  const auto& v = j[name];
  const bool empty_like = v.is_null() || (v.is_object() && v.empty()) || (v.is_array() && v.empty());
  const bool supported_empty = supported.is_null() || (supported.is_object() && supported.empty());
  if (v == supported || (empty_like && supported_empty)) return;
  throw file_error(file, "field '" + std::string(name) + "' is " + v.dump() + "; autopeft supports only " +
                             supported.dump() + " (" + why + ")");
}

inline void no_layers(const std::vector<std::int64_t>& l, std::string_view method, std::string_view peft_type) {
  if (!l.empty())
    throw error(std::string(method) + ": option 'layers_to_transform' has no field in HF PEFT's " +
                std::string(peft_type) + " config; leave it empty to save an HF adapter");
}

}  // namespace detail

/// adapter_config<P>: peft_type, to_json(policy, encoder config) (the method's fields) and
/// from_json(json, file) for the methods HF PEFT also has.
template <class P>
struct adapter_config;

template <>
struct adapter_config<lora> {
  static constexpr std::string_view peft_type = "LORA";
  static nlohmann::json to_json(const lora& p, const model::EncoderConfig&) {
    using detail::json;
    return {{"alora_invocation_tokens", nullptr}, {"alpha_pattern", json::object()}, {"arrow_config", nullptr},
            {"bias", "none"}, {"corda_config", nullptr}, {"ensure_weight_tying", false}, {"eva_config", nullptr},
            {"exclude_modules", nullptr}, {"fan_in_fan_out", false}, {"init_lora_weights", p.init_lora_weights()},
            {"kasa_config", nullptr}, {"layer_replication", nullptr}, {"layers_pattern", nullptr},
            {"layers_to_transform", detail::layers_json(p.layers_to_transform())}, {"loftq_config", json::object()},
            {"lora_alpha", detail::number(p.lora_alpha())}, {"lora_bias", false},
            {"lora_dropout", p.lora_dropout()}, {"lora_ga_config", nullptr}, {"megatron_config", nullptr},
            {"megatron_core", "megatron.core"}, {"monteclora_config", nullptr}, {"qalora_group_size", 16},
            {"r", p.r()}, {"rank_pattern", json::object()}, {"target_modules", detail::targets_json(p.target_modules())},
            {"target_parameters", nullptr}, {"trainable_token_indices", nullptr}, {"use_bdlora", nullptr},
            {"use_dora", p.use_dora()}, {"use_qalora", false}, {"use_rslora", p.use_rslora()},
            {"velora_config", nullptr}};
  }
  static lora from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::field, detail::require;
    require(j, "bias", "none", file, "LoRA here trains no biases");
    require(j, "lora_bias", false, file, "LoRA here has no bias on lora_B");
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "rank_pattern", nullptr, file, "one r for every site");
    require(j, "alpha_pattern", nullptr, file, "one lora_alpha for every site");
    require(j, "exclude_modules", nullptr, file, "select sites with target_modules");
    require(j, "layers_pattern", nullptr, file, "BERT and RoBERTa layers are found without it");
    require(j, "layer_replication", nullptr, file, "layers are not replicated");
    require(j, "use_qalora", false, file, "no quantisation");
    lora p;
    const auto init = j.contains("init_lora_weights") ? j["init_lora_weights"] : nlohmann::json(true);
    p.r(field<std::int64_t>(j, "r", 8, file))
        .lora_alpha(field<double>(j, "lora_alpha", 8, file))
        .lora_dropout(field<double>(j, "lora_dropout", 0.0, file))
        .target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .layers_to_transform(detail::layers_field(j, file))
        .use_rslora(field<bool>(j, "use_rslora", false, file))
        .use_dora(field<bool>(j, "use_dora", false, file))
        .init_lora_weights(!(init.is_boolean() && !init.get<bool>()));
    return p;
  }
};

template <>
struct adapter_config<ia3> {
  static constexpr std::string_view peft_type = "IA3";
  static nlohmann::json to_json(const ia3& p, const model::EncoderConfig&) {
    detail::no_layers(p.layers_to_transform(), "ia3", peft_type);
    return {{"exclude_modules", nullptr}, {"fan_in_fan_out", false},
            {"feedforward_modules", detail::targets_json(p.feedforward_modules())},
            {"init_ia3_weights", p.init_ia3_weights()},
            {"target_modules", detail::targets_json(p.target_modules())}};
  }
  static ia3 from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::require;
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "exclude_modules", nullptr, file, "select sites with target_modules");
    ia3 p;
    p.target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .feedforward_modules(detail::targets_field(j, "feedforward_modules", p.feedforward_modules(), file))
        .init_ia3_weights(detail::field<bool>(j, "init_ia3_weights", true, file));
    return p;
  }
};

namespace detail {
/// The fields LoHa and LoKr share (HF's LycorisConfig).
template <class P>
json lycoris_json(const P& p) {
  return {{"alpha", number(p.alpha())}, {"alpha_pattern", json::object()}, {"exclude_modules", nullptr},
          {"init_weights", p.init_weights()}, {"layers_pattern", nullptr},
          {"layers_to_transform", layers_json(p.layers_to_transform())}, {"module_dropout", p.module_dropout()},
          {"r", p.r()}, {"rank_dropout", p.rank_dropout()}, {"rank_pattern", json::object()},
          {"target_modules", targets_json(p.target_modules())}};
}
template <class P>
P lycoris_from(const json& j, const fs::path& file) {
  require(j, "rank_pattern", nullptr, file, "one r for every site");
  require(j, "alpha_pattern", nullptr, file, "one alpha for every site");
  require(j, "exclude_modules", nullptr, file, "select sites with target_modules");
  require(j, "layers_pattern", nullptr, file, "BERT and RoBERTa layers are found without it");
  P p;
  const auto init = j.contains("init_weights") ? j["init_weights"] : json(true);
  p.r(field<std::int64_t>(j, "r", 8, file))
      .alpha(field<double>(j, "alpha", 8, file))
      .rank_dropout(field<double>(j, "rank_dropout", 0.0, file))
      .module_dropout(field<double>(j, "module_dropout", 0.0, file))
      .target_modules(targets_field(j, "target_modules", p.target_modules(), file))
      .layers_to_transform(layers_field(j, file))
      .init_weights(!(init.is_boolean() && !init.get<bool>()));
  return p;
}
}  // namespace detail

template <>
struct adapter_config<loha> {
  static constexpr std::string_view peft_type = "LOHA";
  static nlohmann::json to_json(const loha& p, const model::EncoderConfig&) {
    auto j = detail::lycoris_json(p);
    j["use_effective_conv2d"] = false;
    return j;
  }
  static loha from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    return detail::lycoris_from<loha>(j, file);
  }
};

template <>
struct adapter_config<lokr> {
  static constexpr std::string_view peft_type = "LOKR";
  static nlohmann::json to_json(const lokr& p, const model::EncoderConfig&) {
    auto j = detail::lycoris_json(p);
    j["decompose_both"] = p.decompose_both();
    j["decompose_factor"] = p.decompose_factor();
    j["rank_dropout_scale"] = p.rank_dropout_scale();
    j["use_effective_conv2d"] = false;
    return j;
  }
  static lokr from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    auto p = detail::lycoris_from<lokr>(j, file);
    p.decompose_both(detail::field<bool>(j, "decompose_both", false, file))
        .decompose_factor(detail::field<std::int64_t>(j, "decompose_factor", -1, file))
        .rank_dropout_scale(detail::field<bool>(j, "rank_dropout_scale", false, file));
    return p;
  }
};

template <>
struct adapter_config<vera> {
  static constexpr std::string_view peft_type = "VERA";
  static nlohmann::json to_json(const vera& p, const model::EncoderConfig&) {
    return {{"bias", "none"}, {"d_initial", p.d_initial()}, {"fan_in_fan_out", false},
            {"init_weights", p.init_weights()}, {"layers_pattern", nullptr},
            {"layers_to_transform", detail::layers_json(p.layers_to_transform())},
            {"projection_prng_key", p.projection_prng_key()}, {"r", p.r()},
            {"save_projection", p.save_projection()}, {"target_modules", detail::targets_json(p.target_modules())},
            {"vera_dropout", p.vera_dropout()}};
  }
  static vera from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    using detail::field, detail::require;
    require(j, "bias", "none", file, "VeRA here trains no biases");
    require(j, "fan_in_fan_out", false, file, "BERT and RoBERTa use nn.Linear");
    require(j, "layers_pattern", nullptr, file, "BERT and RoBERTa layers are found without it");
    vera p;
    p.r(field<std::int64_t>(j, "r", 256, file))
        .target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file))
        .projection_prng_key(field<std::int64_t>(j, "projection_prng_key", 0, file))
        .save_projection(field<bool>(j, "save_projection", true, file))
        .vera_dropout(field<double>(j, "vera_dropout", 0.0, file))
        .d_initial(field<double>(j, "d_initial", 0.1, file))
        .layers_to_transform(detail::layers_field(j, file))
        .init_weights(field<bool>(j, "init_weights", true, file));
    return p;
  }
};

template <>
struct adapter_config<ln_tuning> {
  static constexpr std::string_view peft_type = "LN_TUNING";
  static nlohmann::json to_json(const ln_tuning& p, const model::EncoderConfig&) {
    return {{"exclude_modules", nullptr}, {"target_modules", detail::targets_json(p.target_modules())}};
  }
  static ln_tuning from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    detail::require(j, "exclude_modules", nullptr, file, "select LayerNorms with target_modules");
    ln_tuning p;
    p.target_modules(detail::targets_field(j, "target_modules", p.target_modules(), file));
    return p;
  }
};

namespace detail {
/// PromptLearningConfig's fields; token_dim, num_layers and num_attention_heads come from the
/// encoder, so that loading checks them against the model.
inline json prompt_learning_json(std::int64_t virtual_tokens, const model::EncoderConfig& c) {
  return {{"num_attention_heads", c.num_attention_heads}, {"num_layers", c.num_hidden_layers},
          {"num_transformer_submodules", 1}, {"num_virtual_tokens", virtual_tokens},
          {"token_dim", c.hidden_size}};
}
}  // namespace detail

template <>
struct adapter_config<prompt_tuning> {
  static constexpr std::string_view peft_type = "PROMPT_TUNING";
  static nlohmann::json to_json(const prompt_tuning& p, const model::EncoderConfig& c) {
    auto j = detail::prompt_learning_json(p.num_virtual_tokens(), c);
    // Our TEXT init starts from token ids, which HF cannot replay without the text; the trained
    // embeddings are saved either way, so RANDOM loads the same values.
    j.update({{"prompt_tuning_init", "RANDOM"}, {"prompt_tuning_init_text", nullptr},
              {"tokenizer_kwargs", nullptr}, {"tokenizer_name_or_path", nullptr}});
    return j;
  }
  static prompt_tuning from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    prompt_tuning p;
    p.num_virtual_tokens(detail::field<std::int64_t>(j, "num_virtual_tokens", 20, file));
    return p;
  }
};

template <>
struct adapter_config<prefix_tuning> {
  static constexpr std::string_view peft_type = "PREFIX_TUNING";
  /// The policy's fields as they are; save_adapter writes the folded policy (prefix_tuning::folded:
  /// prefix_projection false), since the file holds the computed prefix, not the MLP.
  static nlohmann::json to_json(const prefix_tuning& p, const model::EncoderConfig& c) {
    detail::no_layers(p.layers_to_transform(), "prefix_tuning", peft_type);
    auto j = detail::prompt_learning_json(p.num_virtual_tokens(), c);
    j.update({{"encoder_hidden_size", p.projection_width(c)}, {"init_weights", nullptr},
              {"prefix_projection", p.prefix_projection()}});
    return j;
  }
  /// A prefix without projection, whatever prefix_projection says: HF PEFT's files hold the
  /// computed prefix [P, 2·L·H] either way (get_peft_model_state_dict saves
  /// get_prompt_embedding_to_save(), or the plain embedding in inference mode).
  static prefix_tuning from_json(const nlohmann::json& j, const std::filesystem::path& file) {
    (void)detail::field<bool>(j, "prefix_projection", false, file);  // a wrong type is still an error
    prefix_tuning p;
    p.num_virtual_tokens(detail::field<std::int64_t>(j, "num_virtual_tokens", 20, file));
    return p;
  }
};

/// Reads `dir/adapter_config.json` (or the file itself when `path` names one).
inline nlohmann::json read_adapter_config(const std::filesystem::path& path) {
  const auto file = std::filesystem::is_directory(path) ? path / "adapter_config.json" : path;
  std::ifstream in(file);
  if (!in) throw file_error(file, "cannot open the adapter config (expected HF PEFT's adapter_config.json)");
  try {
    auto j = autopeft::detail::parse_json(in);
    if (!j.is_object()) throw file_error(file, "adapter config must be a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    throw file_error(file, std::string("adapter config is not valid JSON: ") + e.what());
  }
}

/// The policy P an adapter_config.json describes; throws file_error when its peft_type is not
/// P's or a field cannot be honoured. `file` names the source in messages.
template <class P>
P policy_from_config(const nlohmann::json& j, const std::filesystem::path& file = "adapter_config.json") {
  const auto type = detail::field<std::string>(j, "peft_type", "", file);
  if (type != adapter_config<P>::peft_type)
    throw file_error(file, "field 'peft_type' is '" + type + "' but the policy is " + std::string(P::name) +
                               " (peft_type '" + std::string(adapter_config<P>::peft_type) + "')");
  return adapter_config<P>::from_json(j, file);
}

inline lora lora_from_config(const nlohmann::json& j, const std::filesystem::path& file = "adapter_config.json") {
  return policy_from_config<lora>(j, file);
}
inline ia3 ia3_from_config(const nlohmann::json& j, const std::filesystem::path& file = "adapter_config.json") {
  return policy_from_config<ia3>(j, file);
}

}  // namespace autopeft::peft
