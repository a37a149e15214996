#pragma once
// The pieces policies share when they read and write HF PEFT's adapter_config.json fields (their
// to_adapter_config / from_adapter_config members): typed fields with file_error messages, HF's
// number and target-list forms, refusals of fields a policy cannot honour, and the field groups
// two HF configs share (LycorisConfig for LoHa and LoKr, PromptLearningConfig).
#include <autopeft/detail/json_value.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/target.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace autopeft::peft::detail {

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
/// PromptLearningConfig's fields; token_dim, num_layers and num_attention_heads come from the
/// encoder, so that loading checks them against the model.
inline json prompt_learning_json(std::int64_t virtual_tokens, const model::EncoderConfig& c) {
  return {{"num_attention_heads", c.num_attention_heads}, {"num_layers", c.num_hidden_layers},
          {"num_transformer_submodules", 1}, {"num_virtual_tokens", virtual_tokens},
          {"token_dim", c.hidden_size}};
}
}  // namespace autopeft::peft::detail
