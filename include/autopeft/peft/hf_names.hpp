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
// The rows follow from facts the policies carry (hf_tensor_prefix, hf_shared_tensors,
// hf_layer_norm_wrapper, hf_prompt_learning): to_hf_name<Ps...> and from_hf_name<Ps...> take the
// policies of the model, and this file names none.
//
// HF's in-memory names carry the adapter name (`lora_A.default.weight`, `ia3_l.default`,
// `prompt_encoder.default.embedding.weight`); from_hf_name accepts those as well, after
// remove_adapter_name (HF's own rule: drop ".default" at the end, or just before the last part).
#include <autopeft/model/site.hpp>
#include <autopeft/peft/target.hpp>

#include <algorithm>
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
/// A policy whose HF format is prompt learning (hf_prompt_learning: it owns `prompt_embeddings`).
template <class P>
concept hf_prompt_learning_policy = requires { requires P::hf_prompt_learning; };
template <class P>
concept has_hf_shared_tensors = requires { P::hf_shared_tensors; };
template <class P>
concept has_hf_layer_norm_wrapper =
    requires { { P::hf_layer_norm_wrapper } -> std::convertible_to<std::string_view>; };

/// The name of the first of Ps for which `holds.template operator()<P>()` is true, or "".
template <class... Ps, class F>
std::string first_policy(F&& holds) {
  std::string owner;
  ([&] {
    if (owner.empty() && holds.template operator()<Ps>()) owner = Ps::name;
  }(), ...);
  return owner;
}

/// The policy whose hf_tensor_prefix starts HF's tensor name `tensor` ("lora_A": lora).
template <class... Ps>
std::string policy_of_tensor(const std::string& tensor) {
  return first_policy<Ps...>([&]<class P>() {
    if constexpr (has_hf_tensor_prefix<P>) return tensor.rfind(P::hf_tensor_prefix, 0) == 0;
    else return false;
  });
}

/// The first prompt-learning policy.
template <class... Ps>
std::string prompt_learning_policy() {
  return first_policy<Ps...>([]<class P>() { return hf_prompt_learning_policy<P>; });
}

/// Whether `policy` names a prompt-learning policy among Ps.
template <class... Ps>
bool is_prompt_learning(const std::string& policy) {
  return ((hf_prompt_learning_policy<Ps> && policy == Ps::name) || ... || false);
}

/// The policy whose sites share the model-level tensor `tensor` (hf_shared_tensors: HF keeps it
/// once, at "base_model.<tensor>").
template <class... Ps>
std::string sharing_policy(const std::string& tensor) {
  return first_policy<Ps...>([&]<class P>() {
    if constexpr (has_hf_shared_tensors<P>)
      return std::find(P::hf_shared_tensors.begin(), P::hf_shared_tensors.end(), tensor) != P::hf_shared_tensors.end();
    else return false;
  });
}

/// The policy whose LayerNorm copies HF keeps inside a module named `wrapper`.
template <class... Ps>
std::string layer_norm_wrapping_policy(const std::string& wrapper) {
  return first_policy<Ps...>([&]<class P>() {
    if constexpr (has_hf_layer_norm_wrapper<P>) return wrapper == P::hf_layer_norm_wrapper;
    else return false;
  });
}

/// The name of the module inside which HF keeps `policy`'s copy of a LayerNorm
/// (hf_layer_norm_wrapper), or "".
template <class... Ps>
std::string layer_norm_wrapper_of(const std::string& policy) {
  std::string wrapper;
  ([&] {
    if constexpr (has_hf_layer_norm_wrapper<Ps>)
      if (policy == Ps::name) wrapper = Ps::hf_layer_norm_wrapper;
  }(), ...);
  return wrapper;
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
/// a model whose PEFT tensors come from the policies Ps, by the facts they carry: a linear-site
/// tensor belongs to the policy whose hf_tensor_prefix starts it ("lora_A" to lora); a LayerNorm
/// copy goes inside its LayerNorm (hf_layer_norm_wrapper); a shared model-level tensor to
/// "base_model.<tensor>" (hf_shared_tensors); a prompt-learning policy's embedding to
/// "prompt_embeddings" (hf_prompt_learning). A PEFT tensor HF has no counterpart for (a prefix
/// projection's MLP, an adapter HF lacks) gives ""; any other name is a base parameter and gets
/// HF's modules_to_save key ("classifier.weight" -> "base_model.model.classifier.weight").
template <class... Ps>
std::string to_hf_name(const std::string& ours) {
  const std::string pre(hf_model_prefix);
  std::smatch m;
  static const std::regex linear(R"((\w+\.encoder\.layer\.\d+)\.peft\.(\w+)\.(\w+)\.(.+))");
  static const std::regex embeddings(R"((\w+)\.embeddings\.peft\.(\w+)\.(.+))");
  if (std::regex_match(ours, m, linear)) {
    const auto layer = m[1].str(), policy = m[2].str(), site = m[3].str(), rest = m[4].str();
    if (const auto wrapper = detail::layer_norm_wrapper_of<Ps...>(policy); !wrapper.empty()) {
      const auto path = detail::lookup(detail::hf_layer_norm_paths, site, true);
      return path.empty() ? "" : pre + layer + "." + path + "." + wrapper + "." + rest;
    }
    const auto path = detail::lookup(detail::hf_linear_paths, site, true);
    if (path.empty() || detail::policy_of_tensor<Ps...>(rest) != policy) return "";
    return pre + layer + "." + path + "." + rest;
  }
  if (std::regex_match(ours, m, embeddings)) {
    const auto arch = m[1].str(), policy = m[2].str(), rest = m[3].str();
    if (detail::is_prompt_learning<Ps...>(policy) && rest == "embedding.weight") return "prompt_embeddings";
    if (detail::sharing_policy<Ps...>(rest) == policy) return "base_model." + rest;
    const auto wrapper = detail::layer_norm_wrapper_of<Ps...>(policy);
    if (!wrapper.empty() && (rest == "LayerNorm.weight" || rest == "LayerNorm.bias"))
      return pre + arch + ".embeddings.LayerNorm." + wrapper + "." + rest.substr(10);
    return "";
  }
  if (("." + ours).find(".peft.") != std::string::npos) return "";
  return pre + ours;
}

/// HF PEFT's key (saved form, or in-memory form with the adapter name) -> our name, or "" when
/// no rule maps it, for a model whose PEFT tensors come from the policies Ps (the rules of
/// to_hf_name, backwards; `prompt_embeddings` goes to the first prompt-learning policy). `arch`
/// ("bert" / "roberta") names the backbone for model-level tensors. A key outside PEFT's modules
/// maps to the base name (modules_to_save: "classifier.weight").
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
  const std::string shared_prefix = "base_model.";
  if (hf.rfind(shared_prefix, 0) == 0)
    if (const auto owner = detail::sharing_policy<Ps...>(hf.substr(shared_prefix.size())); !owner.empty())
      return arch + ".embeddings.peft." + owner + "." + hf.substr(shared_prefix.size());
  const std::string pre(hf_model_prefix);
  // Prompt-learning adapters wrap the transformers model one level less: their head is
  // "base_model.classifier.weight".
  if (hf.rfind(pre, 0) != 0) return hf.rfind(shared_prefix, 0) == 0 ? hf.substr(shared_prefix.size()) : "";
  hf = hf.substr(pre.size());
  auto split_last = [](const std::string& x) {
    const auto dot = x.rfind('.');
    return dot == std::string::npos ? std::pair<std::string, std::string>{"", x}
                                    : std::pair<std::string, std::string>{x.substr(0, dot), x.substr(dot + 1)};
  };
  // A LayerNorm copy: <LayerNorm path>.<wrapper>.<weight | bias>.
  auto layer_norm_copy = [&](const std::string& tail) -> std::pair<std::string, std::string> {
    const auto [wrapper, parameter] = split_last(tail);
    const auto owner = detail::layer_norm_wrapping_policy<Ps...>(wrapper);
    if (owner.empty() || (parameter != "weight" && parameter != "bias")) return {};
    return {owner, parameter};
  };
  const std::string embeddings_norm = arch + ".embeddings.LayerNorm.";
  if (hf.rfind(embeddings_norm, 0) == 0)
    if (const auto [owner, parameter] = layer_norm_copy(hf.substr(embeddings_norm.size())); !owner.empty())
      return arch + ".embeddings.peft." + owner + ".LayerNorm." + parameter;
  static const std::regex layer(R"(((\w+)\.encoder\.layer\.\d+)\.(.+))");
  if (std::regex_match(hf, m, layer)) {
    const auto rest = m[3].str();
    auto under = [&](std::string_view path) {
      return rest.size() > path.size() + 1 && rest.compare(0, path.size(), path) == 0 && rest[path.size()] == '.';
    };
    for (auto [site, path] : detail::hf_layer_norm_paths)
      if (under(path))
        if (const auto [owner, parameter] = layer_norm_copy(rest.substr(path.size() + 1)); !owner.empty())
          return m[1].str() + ".peft." + owner + "." + std::string(site) + "." + parameter;
    // A shared tensor as HF's in-memory state lists it under every site: ours is the one copy.
    if (const auto tensor = split_last(rest).second; !detail::sharing_policy<Ps...>(tensor).empty())
      return m[2].str() + ".embeddings.peft." + detail::sharing_policy<Ps...>(tensor) + "." + tensor;
    for (auto [site, path] : detail::hf_linear_paths)
      if (under(path)) {
        const auto tensor = rest.substr(path.size() + 1);
        const auto policy = detail::policy_of_tensor<Ps...>(tensor);
        if (!policy.empty()) return m[1].str() + ".peft." + policy + "." + std::string(site) + "." + tensor;
      }
  }
  return hf;
}

}  // namespace autopeft::peft
