#pragma once
// The two-way mapping between autopeft's PEFT tensor names and the keys HF PEFT writes to
// adapter_model.safetensors (get_peft_model_state_dict, PEFT 0.21):
//
//   ours                                                HF's adapter file
//   bert.encoder.layer.0.peft.lora.query.lora_A.weight  base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight
//   ….peft.lora.value.lora_magnitude_vector             ….attention.self.value.lora_magnitude_vector   (DoRA: no ".weight")
//   ….peft.ia3.output.ia3_l                             ….output.dense.ia3_l
//   ….peft.loha.<site>.hada_w1_a, ….peft.lokr.<site>.lokr_w1, ….peft.vera.<site>.vera_lambda_b   likewise
//   bert.embeddings.peft.vera.vera_A (buffer)           base_model.vera_A                           (the shared pair)
//   bert.embeddings.peft.ln_tuning.LayerNorm.weight     base_model.model.bert.embeddings.LayerNorm.ln_tuning_layers.weight
//   ….layer.1.peft.ln_tuning.output_layer_norm.bias     ….layer.1.output.LayerNorm.ln_tuning_layers.bias
//   bert.embeddings.peft.prompt_tuning.embedding.weight prompt_embeddings                           (prefix tuning too)
//   classifier.weight (a base parameter)                base_model.model.classifier.weight          (modules_to_save)
//                                                       base_model.classifier.weight   (prompt and prefix tuning)
//
// HF's in-memory names carry the adapter name (`lora_A.default.weight`, `ia3_l.default`,
// `prompt_encoder.default.embedding.weight`); from_hf_name accepts those as well, after
// remove_adapter_name (HF's own rule: drop ".default" at the end, or just before the last part).
#include <autopeft/model/site.hpp>
#include <autopeft/peft/target.hpp>

#include <array>
#include <concepts>
#include <regex>
#include <string>
#include <string_view>
#include <utility>

namespace autopeft::peft {

namespace detail {
/// Our site key (as linear_sites_module registers it) <-> HF's module path inside a layer.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 6> hf_linear_paths{{
    {"query", "attention.self.query"},
    {"key", "attention.self.key"},
    {"value", "attention.self.value"},
    {"attention_output", "attention.output.dense"},
    {"intermediate", "intermediate.dense"},
    {"output", "output.dense"},
}};
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 2> hf_layer_norm_paths{{
    {"attention_layer_norm", "attention.output.LayerNorm"},
    {"output_layer_norm", "output.LayerNorm"},
}};
template <class P>
concept has_hf_tensor_prefix = requires { { P::hf_tensor_prefix } -> std::convertible_to<std::string_view>; };

/// The policy among Ps (its name) whose hf_tensor_prefix starts HF's tensor name `tensor`, or "".
template <class... Ps>
std::string policy_of_tensor(const std::string& tensor) {
  std::string owner;
  ([&] {
    if constexpr (has_hf_tensor_prefix<Ps>)
      if (owner.empty() && tensor.rfind(Ps::hf_tensor_prefix, 0) == 0) owner = Ps::name;
  }(), ...);
  return owner;
}

/// A policy whose HF format is prompt learning (hf_prompt_learning: it owns `prompt_embeddings`).
template <class P>
concept hf_prompt_learning_policy = requires { requires P::hf_prompt_learning; };

/// The first prompt-learning policy among Ps (its name), or "".
template <class... Ps>
std::string prompt_learning_policy() {
  std::string owner;
  ([&] {
    if constexpr (hf_prompt_learning_policy<Ps>)
      if (owner.empty()) owner = Ps::name;
  }(), ...);
  return owner;
}

template <std::size_t N>
std::string lookup(const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                   const std::string& key, bool forward) {
  for (auto [a, b] : table)
    if ((forward ? a : b) == key) return std::string(forward ? b : a);
  return "";
}
}  // namespace detail

/// The prefix HF PEFT puts before the wrapped model's names.
inline constexpr std::string_view hf_model_prefix = "base_model.model.";

/// HF's `_remove_adapter_name_from_state_dict_key`: "x.lora_A.default.weight" -> "x.lora_A.weight",
/// "x.ia3_l.default" -> "x.ia3_l"; also "prompt_encoder.default.embedding.weight" -> "prompt_embeddings".
inline std::string remove_adapter_name(std::string key, const std::string& adapter = "default") {
  if (key == "prompt_encoder." + adapter + ".embedding.weight") return "prompt_embeddings";
  const std::string tail = "." + adapter;
  if (key.size() > tail.size() && key.compare(key.size() - tail.size(), tail.size(), tail) == 0)
    return key.substr(0, key.size() - tail.size());
  const auto dot = key.rfind('.');
  if (dot == std::string::npos) return key;
  auto head = key.substr(0, dot);
  if (head.size() > tail.size() && head.compare(head.size() - tail.size(), tail.size(), tail) == 0)
    head.resize(head.size() - tail.size());
  return head + key.substr(dot);
}

/// Our parameter or buffer name -> the key HF PEFT writes for it in adapter_model.safetensors, for
/// a model whose PEFT tensors come from the policies Ps (a linear-site tensor belongs to the
/// policy whose hf_tensor_prefix starts it: "lora_A" to lora). A PEFT tensor HF has no
/// counterpart for (a prefix projection's MLP, an adapter HF lacks) gives ""; any other name is a
/// base parameter and gets HF's modules_to_save key ("classifier.weight" ->
/// "base_model.model.classifier.weight").
template <class... Ps>
std::string to_hf_name(const std::string& ours) {
  const std::string pre(hf_model_prefix);
  std::smatch m;
  static const std::regex linear(R"((\w+\.encoder\.layer\.\d+)\.peft\.(\w+)\.(\w+)\.(.+))");
  static const std::regex embeddings(R"((\w+)\.embeddings\.peft\.(\w+)\.(.+))");
  if (std::regex_match(ours, m, linear)) {
    const auto layer = m[1].str(), policy = m[2].str(), site = m[3].str(), rest = m[4].str();
    if (policy == "ln_tuning") {
      const auto path = detail::lookup(detail::hf_layer_norm_paths, site, true);
      return path.empty() ? "" : pre + layer + "." + path + ".ln_tuning_layers." + rest;
    }
    const auto path = detail::lookup(detail::hf_linear_paths, site, true);
    if (path.empty() || detail::policy_of_tensor<Ps...>(rest) != policy) return "";
    return pre + layer + "." + path + "." + rest;
  }
  if (std::regex_match(ours, m, embeddings)) {
    const auto arch = m[1].str(), policy = m[2].str(), rest = m[3].str();
    if ((policy == "prompt_tuning" || policy == "prefix_tuning") && rest == "embedding.weight")
      return "prompt_embeddings";
    if (policy == "vera" && (rest == "vera_A" || rest == "vera_B")) return "base_model." + rest;
    if (policy == "ln_tuning" && (rest == "LayerNorm.weight" || rest == "LayerNorm.bias"))
      return pre + arch + ".embeddings.LayerNorm.ln_tuning_layers." + rest.substr(10);
    return "";
  }
  if (("." + ours).find(".peft.") != std::string::npos) return "";
  return pre + ours;
}

/// HF PEFT's key (saved form, or in-memory form with the adapter name) -> our name, or "" when
/// no rule maps it, for a model whose PEFT tensors come from the policies Ps: a linear-site tensor
/// goes to the policy whose hf_tensor_prefix starts it, `prompt_embeddings` to the first
/// prompt-learning policy (hf_prompt_learning). `arch` ("bert" / "roberta") names the backbone
/// for model-level tensors. A key outside PEFT's modules maps to the base name (modules_to_save:
/// "classifier.weight").
template <class... Ps>
std::string from_hf_name(std::string hf, const std::string& arch) {
  const auto prompt_policy = detail::prompt_learning_policy<Ps...>();
  static const std::regex prompt_encoder(R"(prompt_encoder\.default\.(.+))");
  std::smatch m;
  if (std::regex_match(hf, m, prompt_encoder))
    return prompt_policy.empty() ? "" : arch + ".embeddings.peft." + prompt_policy + "." + m[1].str();
  hf = remove_adapter_name(hf);
  // DoRA's in-memory "lora_magnitude_vector.default.weight"; the saved key has no ".weight".
  static const std::string dora = "lora_magnitude_vector.weight";
  if (hf.size() > dora.size() && hf.compare(hf.size() - dora.size(), dora.size(), dora) == 0)
    hf.resize(hf.size() - 7);
  if (hf == "prompt_embeddings")
    return prompt_policy.empty() ? "" : arch + ".embeddings.peft." + prompt_policy + ".embedding.weight";
  if (hf == "base_model.vera_A" || hf == "base_model.vera_B") return arch + ".embeddings.peft.vera." + hf.substr(11);
  const std::string pre(hf_model_prefix);
  // Prompt-learning adapters wrap the transformers model one level less: their head is
  // "base_model.classifier.weight".
  if (hf.rfind(pre, 0) != 0) return hf.rfind("base_model.", 0) == 0 ? hf.substr(11) : "";
  hf = hf.substr(pre.size());
  static const std::regex ln_emb(R"((\w+)\.embeddings\.LayerNorm\.ln_tuning_layers\.(weight|bias))");
  if (std::regex_match(hf, m, ln_emb)) return m[1].str() + ".embeddings.peft.ln_tuning.LayerNorm." + m[2].str();
  static const std::regex ln_layer(R"((\w+\.encoder\.layer\.\d+)\.(.+)\.ln_tuning_layers\.(weight|bias))");
  if (std::regex_match(hf, m, ln_layer)) {
    const auto site = detail::lookup(detail::hf_layer_norm_paths, m[2].str(), false);
    return site.empty() ? "" : m[1].str() + ".peft.ln_tuning." + site + "." + m[3].str();
  }
  // VeRA's shared pair as HF's in-memory state lists it under every site: ours is the one copy.
  static const std::regex vera_pair(R"((\w+)\.encoder\.layer\.\d+\..+\.(vera_A|vera_B))");
  if (std::regex_match(hf, m, vera_pair)) return m[1].str() + ".embeddings.peft.vera." + m[2].str();
  static const std::regex layer(R"((\w+\.encoder\.layer\.\d+)\.(.+))");
  if (std::regex_match(hf, m, layer)) {
    const auto rest = m[2].str();
    for (auto [site, path] : detail::hf_linear_paths)
      if (rest.size() > path.size() + 1 && rest.compare(0, path.size(), path) == 0 && rest[path.size()] == '.') {
        const auto tensor = rest.substr(path.size() + 1);
        const auto policy = detail::policy_of_tensor<Ps...>(tensor);
        if (!policy.empty()) return m[1].str() + ".peft." + policy + "." + std::string(site) + "." + tensor;
      }
  }
  return hf;
}

}  // namespace autopeft::peft
