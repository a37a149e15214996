#pragma once
// The named places in an encoder where PEFT modules attach. Names follow the vocabulary of
// HuggingFace's module tree where a module exists there ("query", "value", "output.dense"), so
// `target_modules` patterns written for HF PEFT select the same sites here.
#include <array>
#include <optional>
#include <string_view>

namespace autopeft::model {

enum class site {
  // Linear projections of every layer (the host is a torch::nn::Linear).
  query,
  key,
  value,
  attention_output,  // attention.output.dense
  intermediate,      // intermediate.dense (FFN up-projection)
  output,            // output.dense (FFN down-projection)
  // Hidden-state sites of every layer.
  prefix,            // extra attention keys and values, prepended per layer
  after_attention,   // attention output (after dense + dropout), before Add & LayerNorm
  after_ffn,         // FFN output (after dense + dropout), before Add & LayerNorm
  parallel_ffn,      // fed the FFN input, summed with the FFN output before Add & LayerNorm
  // Selective sites.
  attention_layer_norm,
  output_layer_norm,
  bias,
  // Model-level sites.
  prompt,            // virtual tokens prepended to the input embeddings
  embeddings_layer_norm,
};

inline constexpr std::array<site, 6> linear_sites{site::query,            site::key,
                                                  site::value,            site::attention_output,
                                                  site::intermediate,     site::output};

inline constexpr std::array<std::pair<site, std::string_view>, 15> site_names{{
    {site::query, "query"},
    {site::key, "key"},
    {site::value, "value"},
    {site::attention_output, "attention.output.dense"},
    {site::intermediate, "intermediate.dense"},
    {site::output, "output.dense"},
    {site::prefix, "prefix"},
    {site::after_attention, "after_attention"},
    {site::after_ffn, "after_ffn"},
    {site::parallel_ffn, "parallel_ffn"},
    {site::attention_layer_norm, "attention.output.LayerNorm"},
    {site::output_layer_norm, "output.LayerNorm"},
    {site::bias, "bias"},
    {site::prompt, "prompt"},
    {site::embeddings_layer_norm, "embeddings.LayerNorm"},
}};

constexpr std::string_view to_string(site s) {
  for (auto [k, v] : site_names)
    if (k == s) return v;
  return "?";
}

constexpr std::optional<site> parse_site(std::string_view name) {
  for (auto [k, v] : site_names)
    if (v == name) return k;
  return std::nullopt;
}

constexpr bool is_linear_site(site s) {
  for (auto l : linear_sites)
    if (l == s) return true;
  return false;
}

}  // namespace autopeft::model
