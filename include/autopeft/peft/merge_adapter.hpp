#pragma once
// HF PEFT's merge_adapter: fold every adapter of a model into the base weights it adapts, so the
// forward runs at the base model's cost with the adapted outputs; peft::unmerge_adapter undoes
// it. For an encoder built with a peft::plan and for a module tree adapted by peft::inject alike
// (peft/adapter_layer.hpp). The adapters stay attached (idle while merged), so training can
// resume after unmerging; peft::merge_and_unload also drops them.
//
// Mergeable are the updates of Linear weights: each linear-site policy's site module carries its
// merge (LoRA, DoRA, (IA)3, and the weight deltas of peft::delta_weight_merge: LoHa, LoKr, VeRA).
// A prefix, a prompt, an adapter between sub-layers or a selective method has no such update;
// as HF does, merging a model that holds one is an error naming it, and nothing is merged.
//
// Example:
//   peft::merge_adapter(*model);     // outputs unchanged, adapters idle
//   auto merged = model->forward(ids);
//   peft::unmerge_adapter(*model);   // the base weights are the original ones again
#include <autopeft/peft/adapter_layer.hpp>

#include <torch/torch.h>

#include <string>

namespace autopeft::peft {

/// Folds every adapter of `model` into its base weights. Throws autopeft::error, merging nothing,
/// when an adapter cannot be merged (naming it and where it is), when `model` holds no adapter,
/// or inside a peft::disable_adapter scope.
inline void merge_adapter(torch::nn::Module& model) {
  const std::string who = "peft::merge_adapter";
  detail::merge_layers(detail::adapter_layers(model, who), who);
}

}  // namespace autopeft::peft
