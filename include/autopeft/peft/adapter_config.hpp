#pragma once
// HF PEFT's adapter_config.json. A policy that has HF PEFT's format carries it as members (an
// hf_adapter_policy): its peft_type, `to_adapter_config(encoder config)`, which writes its
// options as the fields HF PEFT 0.21 writes for that method (LoraConfig, IA3Config, ...), and
// `from_adapter_config(json, file)`, which reads them back into a policy. Fields a policy cannot
// honour (bias "all", fan_in_fan_out, rank_pattern, ...) are refused with an autopeft::file_error
// naming the field. The shared field helpers are in peft/detail/adapter_fields.hpp.
//
// Example:
//   auto cfg = peft::read_adapter_config("out/adapter");          // adapter_config.json
//   auto p = peft::policy_from_config<peft::lora>(cfg);            // r, lora_alpha, target_modules, ...
//   auto m = io::from_pretrained<model::SequenceClassifier<peft::plan<peft::lora>>>(base, nullptr,
//                                                                 peft::plan<peft::lora>{p});
#include <autopeft/detail/parse_json.hpp>
#include <autopeft/error.hpp>
#include <autopeft/model/encoder_config.hpp>
#include <autopeft/peft/concepts.hpp>
#include <autopeft/peft/detail/adapter_fields.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace autopeft::peft {

/// A policy with HF PEFT's adapter format (see the header comment).
template <class P>
concept hf_adapter_policy = requires(const P& p, const model::EncoderConfig& c, const nlohmann::json& j,
                                     const std::filesystem::path& file) {
  { P::peft_type } -> std::convertible_to<std::string_view>;
  { p.to_adapter_config(c) } -> std::convertible_to<nlohmann::json>;
  { P::from_adapter_config(j, file) } -> std::convertible_to<P>;
};

/// Checks a policy at the adapter entry points (save_adapter, load_adapter, policy_from_config)
/// and stops at the first missing member, so the compiler prints one readable message.
template <class P>
constexpr bool check_hf_adapter_policy() {
  if constexpr (!requires { { P::peft_type } -> std::convertible_to<std::string_view>; }) {
    static_assert(dependent_false<P>,
                  "autopeft::peft: the policy has no HF PEFT adapter format: it lacks `static constexpr "
                  "std::string_view peft_type` (HF's name, \"LORA\"; see \"Add a policy\" in docs/ARCHITECTURE.md)");
  } else if constexpr (!requires(const P& p, const model::EncoderConfig& c) {
                         { p.to_adapter_config(c) } -> std::convertible_to<nlohmann::json>;
                       }) {
    static_assert(dependent_false<P>,
                  "autopeft::peft: the policy lacks `nlohmann::json to_adapter_config(const model::EncoderConfig&) "
                  "const` (its adapter_config.json fields; see peft/adapter_config.hpp)");
  } else if constexpr (!hf_adapter_policy<P>) {
    static_assert(dependent_false<P>,
                  "autopeft::peft: the policy lacks `static P from_adapter_config(const nlohmann::json&, const "
                  "std::filesystem::path&)` (see peft/adapter_config.hpp)");
  }
  return hf_adapter_policy<P>;
}

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
  if constexpr (check_hf_adapter_policy<P>()) {
    const auto type = detail::field<std::string>(j, "peft_type", "", file);
    if (type != P::peft_type)
      throw file_error(file, "field 'peft_type' is '" + type + "' but the policy is " + std::string(P::name) +
                                 " (peft_type '" + std::string(P::peft_type) + "')");
    return P::from_adapter_config(j, file);
  } else {
    return P{};
  }
}

}  // namespace autopeft::peft
