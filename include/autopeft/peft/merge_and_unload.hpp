#pragma once
// HF PEFT's merge_and_unload: fold every adapter into the base weights, then remove the adapter
// modules, leaving a plain model with the adapted outputs (to fp32 rounding) and no PEFT
// parameter: what to deploy after training. Works on an encoder built with a peft::plan and on a
// module tree adapted by peft::inject alike.
//
// Only updates of Linear weights merge (see peft/merge_adapter.hpp); a model holding another
// adapter (a prefix, a prompt, a bottleneck adapter, BitFit's deltas) is an error naming it, as
// in HF, and is left as it was. An encoder keeps its plan object (model->peft()), which still
// describes the merged adapters.
//
// Example:
//   peft::inject(*net, peft::lora{}.r(4).target_modules({"fc1", "fc2"}));
//   train(*net);                    // the adapters learn
//   peft::merge_and_unload(*net);   // fc1, fc2 hold W + s B A; no adapter is left
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

#include <string>

namespace autopeft::peft {

/// Merges every adapter of `model` into its base weights and removes the adapters. Throws
/// autopeft::error, changing nothing, when an adapter cannot be merged (naming it and where it
/// is), when `model` holds no adapter, or inside a peft::disable_adapter scope.
inline void merge_and_unload(torch::nn::Module& model) {
  const std::string who = "peft::merge_and_unload";
  const auto layers = detail::adapter_layers(model, who);
  detail::merge_layers(layers, who);
  detail::drop_adapters(model, layers);
}

}  // namespace autopeft::peft
